"""Reports: figures for a period from every service, two audiences, CSV and PDF.

``figures`` assembles the services' answers into tables, ``suppression`` makes the public
tables safe to publish, ``csv_export`` and ``pdf`` render them. All pure but ``pdf``, which
imports matplotlib only when a PDF is asked for.
"""
