"""The legal service: legal cases, court cases, hearings and their reminders, identity
documents and labour disputes of the referrals whose survivors consented to legal help."""
