"""The Human Trafficking Case Data Standard (HTCDS, IOM, CC BY 4.0): the value lists of the
fields refnet records, as the standard spells its value names, copied in
docs/standards/htcds/values.json with the source, the commit and the licence (a unit test keeps
the two equal). Shared by the shelter service and the gateway's request shapes
(docs/decisions/0054).
"""

SOURCE = ("https://github.com/UNMigration/HTCDS/blob/af4f8478d0c451c7a9c363fde761a4677694ebb5/"
          "HTCDS%20Field%20Reference.md")
VERSION = "af4f8478d0c451c7a9c363fde761a4677694ebb5"
LICENCE = "HTCDS by IOM, CC BY 4.0; no endorsement by IOM is suggested"

RECRUITMENT = (
    "Abduction", "Educational Facility", "Familial",
    "Internet (social media, online advertisement)",
    "International Marriage Broker (IMB)", "Intimate partner/marriage proposition",
    "Job offer/advertisement", "Posing as Benefactor", "Public Area", "Offer of Accommodation",
    "Shelter", "Smuggling, ransom", "Work", "Other", "Unknown")
CONTROL = (
    "DebtBondage", "TakesEarnings", "RestrictsFinancialAccess", "Threats", "PsychologicalAbuse",
    "PhysicalAbuse", "SexualAbuse", "FalsePromises", "PsychoactiveSubstances", "RestrictsMovement",
    "RestrictsMedicalCare", "ExcessiveWorkingHours", "UsesChildren", "ThreatOfLawEnforcement",
    "WithholdsNecessities", "WithholdsDocuments", "Other")
EXPLOITATION = (
    "Forced labour", "Sexual exploitation", "Forced marriage", "Forced military service",
    "Slavery and similar practices", "Organ removal", "Begging", "Illicit activities", "Other")
LABOUR_INDUSTRY = (  # ISIC rev. 4 sections
    "A_AgricultureForestryAndFishing", "B_MiningAndQuarrying", "C_Manufacturing",
    "D_ElectricityGasSteamAndAirConditioningSupply", "E_WaterSupplySewerageWasteManagement",
    "F_Construction", "G_WholesaleAndRetailTradeRepairOfMotorVehicles",
    "H_TransportationAndStorage",
    "I_AccommodationAndFoodServiceActivities", "J_InformationAndCommunication",
    "K_FinancialAndInsuranceActivities", "L_RealEstateActivities",
    "M_ProfessionalScientificAndTechnicalActivities", "N_AdministrativeAndSupportServiceActivities",
    "O_PublicAdministrationAndDefence", "P_Education", "Q_HumanHealthAndSocialWorkActivities",
    "R_ArtsEntertainmentAndRecreation", "S_OtherServiceActivities",
    "T_ActivitiesOfHouseholdsAsEmployers", "U_ActivitiesOfExtraterritorialOrganizations")
SEX_EXPLOITATION = ("Prostitution", "Pornography", "RemoteInteractiveServices",
                    "PrivateSexualServices")

# the API's multiselect fields: body name -> (the standard's field, its values)
LISTS = {
    "recruitment_methods": ("vic_MethodOfRecruitment", RECRUITMENT),
    "methods_of_control": ("vic_MethodsOfControl", CONTROL),
    "types_of_exploitation": ("vic_TypeOfExploitation", EXPLOITATION),
    "labour_industries": ("vic_LabourIndustry", LABOUR_INDUSTRY),  # "Labour Industry" in the file
    "sex_exploitation_types": ("vic_TypeOfSexExploitation", SEX_EXPLOITATION),
}
FIELDS = (*LISTS, "country_of_origin", "countries_of_exploitation")
MAX_COUNTRIES = 10
