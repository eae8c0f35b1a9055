"""Validation of partner requests (pure domain: no broker, no database)."""
from datetime import date

import pytest

from contracts.errors import ValidationFailed
from contracts import departments
from services.requests import catalogue
from services.requests import validation as v
from services.requests.catalogue import KINDS
from contracts.nir import find_nir, nir_key

TODAY = date(2026, 11, 22)


def key(first13: str) -> str:
    """The NIR key, computed independently of the module (Corsica: 2A -> 19, 2B -> 18)."""
    number = int(first13.replace("2A", "19").replace("2B", "18"))
    return f"{97 - number % 97:02d}"


# Synthetic NIRs: sex, year, month, department, commune, order.
NIR_PARIS = "1850575006084"          # key 75
NIR_RHONE = "2930269123456"
NIR_CORSE_SUD = "176052A123045"      # key 12
NIR_HAUTE_CORSE = "269052B017003"    # key 62
NIR_REUNION = "1850597409012"


def spaced(nir15: str) -> str:
    """The usual writing: 1 85 05 75 006 084 75."""
    n = nir15
    return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}"


def with_key(first13: str) -> str:
    return first13 + key(first13)


# --- NIR ----------------------------------------------------------------------

def test_key_helper_matches_known_values():
    assert key(NIR_CORSE_SUD) == "12"
    assert key(NIR_HAUTE_CORSE) == "62"
    assert nir_key(NIR_CORSE_SUD) == 12
    assert nir_key("1850578006084") == 91


@pytest.mark.parametrize("first13", [NIR_PARIS, NIR_RHONE, NIR_CORSE_SUD, NIR_HAUTE_CORSE, NIR_REUNION])
def test_valid_nirs_are_found_in_every_usual_writing(first13):
    nir = with_key(first13)
    for text in (
        nir,
        spaced(nir),
        spaced(nir).replace(" ", "."),
        spaced(nir).replace(" ", "-"),
        f"Numéro de sécu : {spaced(nir)}, merci",
        f"NIR={nir}.",
        first13,                                     # without its key
        f"{spaced(nir)[:-3]} (clé {nir[-2:]})",
        spaced(nir).lower(),                         # 2a / 2b
        spaced(nir).replace(" ", "\u00a0"),          # non-breaking spaces
        spaced(nir).replace(" ", " - "),
        f"{first13[:7]} {first13[7:]} {nir[13:]}",
    ):
        assert find_nir(text), text


def test_nir_hidden_with_invisible_or_full_width_characters_is_found():
    nir = with_key(NIR_PARIS)
    assert find_nir("\u200b".join(nir))
    assert find_nir("\u00ad".join(nir))
    assert find_nir("".join(chr(ord(c) + 0xFEE0) for c in nir))     # full-width digits


def test_nir_after_a_date_or_other_number_is_still_found():
    assert find_nir(f"le 12.03.2024 {spaced(with_key(NIR_PARIS))}")
    assert find_nir(f"2024 {spaced(with_key(NIR_PARIS))}")


def test_corsican_key_uses_19_and_18():
    nir = NIR_CORSE_SUD
    assert find_nir(nir + key(nir))
    # The key computed as if "2A" were "20" is wrong, so the 15 characters are no NIR.
    naive = f"{97 - int(nir.replace('2A', '20')) % 97:02d}"
    assert naive != key(nir)
    assert not find_nir(nir + naive)


def test_fifteen_digits_with_a_wrong_key_are_not_a_nir():
    nir = with_key(NIR_PARIS)
    wrong = nir[:13] + f"{(int(nir[13:]) % 97) + 1:02d}"
    assert not find_nir(wrong)
    assert not find_nir(spaced(wrong))
    # The brief's typical writing has a wrong key for these 13 digits (91 is right).
    assert not find_nir("1 85 05 78 006 084 36")
    assert find_nir("1 85 05 78 006 084 91")


@pytest.mark.parametrize("first13", [
    "5850575006084",        # sex 5
    "0850575006084",        # sex 0
    "1851375006084",        # month 13
    "1854575006084",        # month 45
    "1850075006084",        # month 00
    "1850500006084",        # department 00
    "1850521A06084",        # letter not in the department
])
def test_thirteen_digits_not_shaped_like_a_nir_are_not_flagged(first13):
    assert not find_nir(first13)
    assert not find_nir(first13 + key(first13.replace("A", "9")))


def test_pseudo_months_are_nir_shaped():
    for month in ("20", "35", "42", "50", "99"):
        assert find_nir(f"185{month}75006084"), month


@pytest.mark.parametrize("text", [
    "Tél. 06 12 34 56 78",
    "0612345678",
    "+33 6 12 34 56 78",
    "0033 6 12 34 56 78",
    "06.12.34.56.78 ou 01.23.45.67.89",
    "06 12 34 56 78 01 23 45 67 89",
    "Né le 12/03/1985, dossier déposé le 2024-03-12",
    "du 12.03.2024 au 15.04.2024",
    "12.03.2024 15.04.2024",
    "référence DEMO-000001",
    "SIRET 123 456 789 00012",
    "montant 1 234,56 €",
    "FR76 3000 1007 9412 3456 7890 185",
    "IBAN FR7630001007941234567890185",
    "code 185057500608411999",                 # a longer unbroken run
    "1850575",
    "",
    "Bonjour, je vous contacte au sujet du dossier de Mme Dupont.",
])
def test_ordinary_numbers_are_not_flagged(text):
    assert not find_nir(text)


def test_find_nir_on_non_strings_is_false():
    for value in (None, 1850575006084, ["1850575006084"], b"1850575006084"):
        assert not find_nir(value)


def test_find_nir_is_fast_on_hostile_input():
    assert not find_nir("9 " * 50_000)
    assert not find_nir("12 " * 30_000)
    assert not find_nir("9" * 100_000)
    assert find_nir("x" * 100_000 + with_key(NIR_PARIS))


# --- the insured person --------------------------------------------------------------

def insured(**changes):
    data = {"civility": "Mme", "last_name": "N'Diaye-Martin", "first_name": "Élodie",
            "birth_date": "1985-05-12", "department": "75"}
    data.update(changes)
    return data


def insured_errors(**changes):
    with pytest.raises(ValidationFailed) as caught:
        v.validate_insured(insured(**changes), today=TODAY)
    return caught.value.fields


def test_valid_insured_is_cleaned():
    clean = v.validate_insured(insured(last_name="  de  la   Fontaine ", first_name="Jean\u2019Pierre",
                                       civility="m", department=" 2a"), today=TODAY)
    assert clean == {"civility": "M.", "last_name": "de la Fontaine", "first_name": "Jean'Pierre",
                     "birth_date": "1985-05-12", "department": "2A"}


def test_validate_insured_defaults_to_today():
    assert v.validate_insured(insured())["birth_date"] == "1985-05-12"


def test_accented_and_composed_names_are_accepted():
    clean = v.validate_insured(insured(last_name="Lefe\u0300vre", first_name="Zoë Ñuñez"), today=TODAY)
    assert clean["last_name"] == "Lefèvre"                       # NFC
    assert clean["first_name"] == "Zoë Ñuñez"


def test_missing_insured_fields_are_all_reported():
    with pytest.raises(ValidationFailed) as caught:
        v.validate_insured({}, today=TODAY)
    assert caught.value.fields == {name: v.MISSING for name in
                                   ("civility", "last_name", "first_name", "birth_date", "department")}


@pytest.mark.parametrize("civility", ["Mlle", "Monsieur", "Dr", 1, ["M."], True])
def test_bad_civility(civility):
    assert insured_errors(civility=civility) == {"civility": v.BAD_CIVILITY}


@pytest.mark.parametrize("name", ["Dupont2", "<b>Dupont</b>", "Dupont;", "-Dupont", "Dupont'", "_", "'"])
def test_bad_names(name):
    assert insured_errors(last_name=name, first_name=name) == {"last_name": v.BAD_NAME,
                                                               "first_name": v.BAD_NAME}


def test_names_are_limited_to_80_characters():
    assert v.validate_insured(insured(last_name="A" * 80), today=TODAY)["last_name"] == "A" * 80
    assert insured_errors(last_name="A" * 81) == {"last_name": v.too_long(80)}
    assert insured_errors(first_name="A" * 10_000) == {"first_name": v.too_long(80)}


@pytest.mark.parametrize("field", ["last_name", "first_name"])
def test_nir_in_a_name_is_refused(field):
    assert insured_errors(**{field: spaced(with_key(NIR_PARIS))}) == {field: v.NIR_MESSAGE}
    assert insured_errors(**{field: f"Dupont {NIR_PARIS}"}) == {field: v.NIR_MESSAGE}


def test_nir_in_any_insured_string_field_is_refused():
    nir = spaced(with_key(NIR_PARIS))
    assert insured_errors(civility=nir, department=nir, birth_date=nir) == {
        "civility": v.NIR_MESSAGE, "department": v.NIR_MESSAGE, "birth_date": v.NIR_MESSAGE}


@pytest.mark.parametrize("birth_date", ["2026-11-22", "1985-05-12", "1901-11-22", date(1990, 1, 1)])
def test_plausible_birth_dates(birth_date):
    clean = v.validate_insured(insured(birth_date=birth_date), today=TODAY)
    assert clean["birth_date"] == str(birth_date)


def test_birth_date_in_the_future_is_refused():
    assert insured_errors(birth_date="2026-11-23") == {"birth_date": v.BIRTH_DATE_FUTURE}


def test_birth_date_more_than_125_years_ago_is_refused():
    assert v.birth_date_floor(TODAY) == date(1901, 11, 22)
    assert insured_errors(birth_date="1901-11-21") == {
        "birth_date": "La date de naissance ne peut pas être antérieure au 22/11/1901."}
    assert insured_errors(birth_date="1899-12-31")["birth_date"].startswith("La date de naissance ne peut pas")
    # Never before 1900, whatever the day.
    assert v.birth_date_floor(date(2020, 6, 1)) == date(1900, 1, 1)
    assert v.birth_date_floor(date(2028, 2, 29)) == date(1903, 2, 28)


@pytest.mark.parametrize("birth_date", ["12/05/1985", "1985-5-12", "19850512", "1985-02-30", "1985-13-01",
                                        "demain", 19850512, ["1985-05-12"], {"y": 1985}, "１９８５-05-12"])
def test_badly_written_birth_dates(birth_date):
    assert insured_errors(birth_date=birth_date) == {"birth_date": v.BAD_DATE}


@pytest.mark.parametrize("given, code", [("01", "01"), ("1", "01"), ("9", "09"), ("2A", "2A"), ("2b", "2B"),
                                         (" 75 ", "75"), ("95", "95"), ("971", "971"), ("974", "974"),
                                         ("976", "976")])
def test_valid_departments(given, code):
    assert v.validate_insured(insured(department=given), today=TODAY)["department"] == code


@pytest.mark.parametrize("department", ["20", "96", "975", "00", "0", "99", "2C", "977", "001", "75 Paris",
                                        75, 1, ["75"], 2.5])
def test_bad_departments(department):
    assert insured_errors(department=department) == {"department": v.BAD_DEPARTMENT}


def test_departments_table():
    assert len(departments.DEPARTMENTS) == 101
    assert departments.DEPARTMENTS["75"] == "Paris"
    assert departments.DEPARTMENTS["2A"] == "Corse-du-Sud"
    assert departments.DEPARTMENTS["2B"] == "Haute-Corse"
    assert departments.DEPARTMENTS["974"] == "La Réunion"
    assert departments.DEPARTMENTS["976"] == "Mayotte"
    assert "20" not in departments.DEPARTMENTS and "975" not in departments.DEPARTMENTS
    assert departments.normalise_department("2a") == "2A"
    assert departments.normalise_department(75) is None


def test_insured_that_is_not_a_dict_reports_missing_fields():
    for data in (None, "Dupont", ["Mme"], 42):
        with pytest.raises(ValidationFailed) as caught:
            v.validate_insured(data, today=TODAY)
        assert set(caught.value.fields) == {"civility", "last_name", "first_name", "birth_date", "department"}


# --- requests -----------------------------------------------------------------------

VALID = {
    "contact_caisse": {"subject": "remboursements", "message": "La personne n'a pas reçu son remboursement."},
    "etude_dossier": {"dossier_type": "c2s", "comment": ""},
    "suivi_ame": {"filed_on": "2026-03-01"},
    "signalement": {"difficulty": "renoncement", "description": "Ne peut pas avancer les frais.",
                    "consent": True},
    "rendez_vous": {"reason": "carte_vitale", "preferred_days": ["jeudi", "lundi"],
                    "preferred_times": ["matin"], "channel": "telephone"},
    "document": {"document_type": "attestation_droits"},
}

CLEAN_INSURED = {"civility": "Mme", "last_name": "N'Diaye-Martin", "first_name": "Élodie",
                 "birth_date": "1985-05-12", "department": "75"}


def request(kind, **changes):
    data = dict(VALID[kind], insured=insured())
    data.update(changes)
    return data


def errors_of(kind, data):
    with pytest.raises(ValidationFailed) as caught:
        v.validate_request(kind, data, today=TODAY)
    assert caught.value.message == ValidationFailed.default_message
    return caught.value.fields


def test_kind_fields_cover_exactly_the_request_kinds():
    assert set(catalogue.KIND_FIELDS) == set(KINDS)
    assert set(VALID) == set(KINDS)


def test_kind_fields_describe_a_form():
    for kind, fields in catalogue.KIND_FIELDS.items():
        names = [f["name"] for f in fields]
        assert len(names) == len(set(names)), kind
        for field in fields:
            assert set(field) >= {"name", "label", "type", "required", "choices"}
            assert field["type"] in ("choice", "multichoice", "text", "textarea", "date", "bool")
            assert isinstance(field["label"], str) and field["label"]
            assert (field["choices"] is not None) == (field["type"] in ("choice", "multichoice"))
            if field["only_if"]:
                assert field["only_if"]["field"] in names
            if field["type"] == "textarea":
                assert field["help"] == catalogue.HEALTH_DATA_REMINDER
                assert field["max_length"] == catalogue.FREE_TEXT_MAX
    assert catalogue.KIND_FIELDS["document"][1]["choices"] is catalogue.PREVENTION_OFFERS
    assert [f["name"] for f in catalogue.INSURED_FIELDS] == ["civility", "last_name", "first_name", "birth_date",
                                                     "department"]


def test_health_data_reminder_is_french():
    assert "santé" in catalogue.HEALTH_DATA_REMINDER


def test_unknown_kind():
    for kind in ("actualites", "historique", "", None, 3, ["document"], {"k": 1}):
        with pytest.raises(ValidationFailed) as caught:
            v.validate_request(kind, request("document"), today=TODAY)
        assert caught.value.fields == {"kind": "Type de demande inconnu."}


def test_contact_caisse():
    data = request("contact_caisse", message="  Bonjour,\r\n\r\nMerci.\t \x00\x07 ", extra="ignored")
    assert v.validate_request("contact_caisse", data, today=TODAY) == {
        "insured": CLEAN_INSURED,
        "details": {"subject": "remboursements", "message": "Bonjour,\n\nMerci."},
    }
    assert errors_of("contact_caisse", request("contact_caisse", subject="autre chose", message="  ")) == {
        "subject": v.BAD_CHOICE, "message": v.MISSING}
    assert errors_of("contact_caisse", {"insured": insured()}) == {"subject": v.MISSING, "message": v.MISSING}


def test_etude_dossier():
    assert v.validate_request("etude_dossier", request("etude_dossier", dossier_other="ignored"),
                              today=TODAY)["details"] == {"dossier_type": "c2s", "comment": ""}
    other = request("etude_dossier", dossier_type="autre", dossier_other="  Pension \n d'invalidité ",
                    comment="Dossier incomplet ?")
    assert v.validate_request("etude_dossier", other, today=TODAY)["details"] == {
        "dossier_type": "autre", "dossier_other": "Pension d'invalidité", "comment": "Dossier incomplet ?"}
    assert errors_of("etude_dossier", request("etude_dossier", dossier_type="autre")) == {
        "dossier_other": v.MISSING}
    assert errors_of("etude_dossier", request("etude_dossier", dossier_type="autre", dossier_other="x" * 121)) \
        == {"dossier_other": "120 caractères au maximum."}
    assert errors_of("etude_dossier", request("etude_dossier", dossier_type="AME")) == {
        "dossier_type": v.BAD_CHOICE}
    assert errors_of("etude_dossier", request("etude_dossier", dossier_type=None)) == {
        "dossier_type": v.MISSING}


def test_suivi_ame():
    assert v.validate_request("suivi_ame", request("suivi_ame"), today=TODAY)["details"] == {
        "filed_on": "2026-03-01", "comment": ""}
    for filed_on in ("2026-11-22", "2024-11-22", date(2025, 1, 1)):
        assert v.validate_request("suivi_ame", request("suivi_ame", filed_on=filed_on), today=TODAY)
    assert errors_of("suivi_ame", request("suivi_ame", filed_on="2026-11-23")) == {
        "filed_on": v.FILED_ON_FUTURE}
    assert errors_of("suivi_ame", request("suivi_ame", filed_on="2024-11-21")) == {
        "filed_on": v.FILED_ON_TOO_OLD}
    assert errors_of("suivi_ame", request("suivi_ame", filed_on="01/03/2026")) == {"filed_on": v.BAD_DATE}
    assert errors_of("suivi_ame", request("suivi_ame", filed_on="")) == {"filed_on": v.MISSING}


def test_signalement():
    assert v.validate_request("signalement", request("signalement"), today=TODAY)["details"] == {
        "difficulty": "renoncement", "description": "Ne peut pas avancer les frais.", "consent": True}
    assert v.validate_request("signalement", request("signalement", consent="on"), today=TODAY)
    for consent in (False, None, "", "false", "non", 0, 1, [True], "no"):
        assert errors_of("signalement", request("signalement", consent=consent)) == {
            "consent": "Le signalement nécessite le consentement de la personne."}, consent
    data = request("signalement", difficulty="", description=None)
    del data["consent"]
    assert errors_of("signalement", data) == {"difficulty": v.MISSING, "description": v.MISSING,
                                              "consent": v.CONSENT_REQUIRED}


def test_rendez_vous():
    data = request("rendez_vous", preferred_days=["vendredi", "lundi", "lundi"], comment=" Plutôt tôt. ")
    assert v.validate_request("rendez_vous", data, today=TODAY)["details"] == {
        "reason": "carte_vitale", "preferred_days": ["lundi", "vendredi"], "preferred_times": ["matin"],
        "channel": "telephone", "comment": "Plutôt tôt."}
    assert v.validate_request("rendez_vous", request("rendez_vous", preferred_times="apres_midi"),
                              today=TODAY)["details"]["preferred_times"] == ["apres_midi"]
    assert errors_of("rendez_vous", request("rendez_vous", preferred_days=[], preferred_times=None)) == {
        "preferred_days": v.AT_LEAST_ONE, "preferred_times": v.AT_LEAST_ONE}
    assert errors_of("rendez_vous", request("rendez_vous", reason="urgence", preferred_days=["samedi"],
                                            preferred_times=["soir"], channel="courrier")) == {
        "reason": v.BAD_CHOICE, "preferred_days": v.BAD_CHOICE, "preferred_times": v.BAD_CHOICE,
        "channel": v.BAD_CHOICE}
    for days in ({"lundi": True}, 5, [["lundi"]], [None], [{"a": 1}], ["lundi"] * 51):
        assert errors_of("rendez_vous", request("rendez_vous", preferred_days=days)) == {
            "preferred_days": v.BAD_CHOICE}, days


def test_document():
    assert v.validate_request("document", request("document", prevention_offer="ignored"),
                              today=TODAY)["details"] == {"document_type": "attestation_droits", "comment": ""}
    data = request("document", document_type="prevention", prevention_offer="mt_dents")
    assert v.validate_request("document", data, today=TODAY)["details"] == {
        "document_type": "prevention", "prevention_offer": "mt_dents", "comment": ""}
    assert errors_of("document", request("document", document_type="prevention")) == {
        "prevention_offer": v.MISSING}
    assert errors_of("document", request("document", document_type="prevention", prevention_offer="bilan")) \
        == {"prevention_offer": v.BAD_CHOICE}
    assert errors_of("document", request("document", document_type="carte_vitale")) == {
        "document_type": v.BAD_CHOICE}


def test_choice_labels():
    assert catalogue.CONTACT_SUBJECTS["carte_vitale"] == "Carte Vitale"
    assert catalogue.DOSSIER_TYPES["ame"] == "Aide médicale de l'État (AME)"
    assert catalogue.DIFFICULTIES["renoncement"] == "Renoncement aux soins"
    assert list(catalogue.WEEKDAYS) == ["lundi", "mardi", "mercredi", "jeudi", "vendredi"]
    assert list(catalogue.DAY_TIMES) == ["matin", "apres_midi"]
    assert catalogue.CHANNELS["visio"] == "En visioconférence"
    assert catalogue.DOCUMENT_TYPES["prevention"] == "Offre de prévention"
    assert catalogue.PREVENTION_OFFERS["examen_sante"] == "Invitation à l'examen de prévention en santé"


def test_all_errors_are_reported_at_once_with_insured_prefix():
    data = request("contact_caisse", subject=None, message="x" * 2001)
    data["insured"] = insured(civility="X", birth_date="2030-01-01", department="20")
    assert errors_of("contact_caisse", data) == {
        "insured.civility": v.BAD_CIVILITY,
        "insured.birth_date": v.BIRTH_DATE_FUTURE,
        "insured.department": v.BAD_DEPARTMENT,
        "subject": v.MISSING,
        "message": "2000 caractères au maximum.",
    }


def test_missing_or_bad_insured_in_a_request():
    data = dict(VALID["document"])
    assert set(errors_of("document", data)) == {f"insured.{f}" for f in
                                                ("civility", "last_name", "first_name", "birth_date",
                                                 "department")}
    data["insured"] = "Mme Dupont"
    assert len(errors_of("document", data)) == 5


# Every free-text field of every kind, with the payload that makes it apply.
FREE_TEXT_FIELDS = [
    ("contact_caisse", "message", {}),
    ("etude_dossier", "comment", {}),
    ("etude_dossier", "dossier_other", {"dossier_type": "autre"}),
    ("suivi_ame", "comment", {}),
    ("signalement", "description", {}),
    ("rendez_vous", "comment", {}),
    ("document", "comment", {}),
]


def test_free_text_fields_list_is_complete():
    listed = {(kind, name) for kind, name, _ in FREE_TEXT_FIELDS}
    assert listed == {(kind, f["name"]) for kind, fields in catalogue.KIND_FIELDS.items() for f in fields
                      if f["type"] in ("text", "textarea")}


@pytest.mark.parametrize("kind, field, extra", FREE_TEXT_FIELDS)
@pytest.mark.parametrize("text", [
    "Son numéro : " + spaced(with_key(NIR_PARIS)),
    "NIR " + NIR_CORSE_SUD,
    spaced(with_key(NIR_HAUTE_CORSE)).lower(),
    "1\x0085 05 75 006 084",
])
def test_nir_is_refused_in_every_free_text_field(kind, field, extra, text):
    assert errors_of(kind, request(kind, **extra, **{field: text})) == {field: v.NIR_MESSAGE}


@pytest.mark.parametrize("kind, field, extra", FREE_TEXT_FIELDS)
def test_free_text_is_cleaned_and_limited(kind, field, extra):
    limit = 120 if field == "dossier_other" else 2000
    clean = v.validate_request(kind, request(kind, **extra, **{field: f"  \x1b[31m{'é' * (limit - 4)}\u200b\x7f  "}),
                               today=TODAY)
    assert clean["details"][field] == "[31m" + "é" * (limit - 4)
    for too_long in ("a" * (limit + 1), "a" * 10_000, "a" * 1_000_000):
        assert errors_of(kind, request(kind, **extra, **{field: too_long})) == {
            field: f"{limit} caractères au maximum."}
    for wrong in (42, 4.2, ["texte"], {"a": "b"}, True, b"bytes"):
        assert errors_of(kind, request(kind, **extra, **{field: wrong})) == {field: v.NOT_TEXT}


def test_free_text_keeps_html_as_text_and_phone_numbers():
    text = "<script>alert('x')</script> <b>Rappeler</b> au 06 12 34 56 78, né le 12/03/1985."
    assert v.validate_request("contact_caisse", request("contact_caisse", message=text),
                              today=TODAY)["details"]["message"] == text


def test_free_text_with_lone_surrogates_and_odd_line_breaks():
    clean = v.validate_request("contact_caisse", request("contact_caisse", message="a\ud800b\rc\u2028d"),
                               today=TODAY)
    assert clean["details"]["message"] == "ab\nc\nd"


def test_nir_in_a_choice_field_gets_the_nir_message():
    nir = spaced(with_key(NIR_PARIS))
    assert errors_of("rendez_vous", request("rendez_vous", reason=nir, preferred_days=[nir])) == {
        "reason": v.NIR_MESSAGE, "preferred_days": v.NIR_MESSAGE}


@pytest.mark.parametrize("data", [None, "texte", 42, ["subject"], {"insured": None}])
def test_request_data_of_the_wrong_type_gives_field_errors(data):
    fields = errors_of("contact_caisse", data)
    assert fields["subject"] == v.MISSING and fields["message"] == v.MISSING


@pytest.mark.parametrize("hostile", [None, 0, -1, 1e308, float("nan"), True, [], ["a"], {}, {"a": 1}, (1, 2),
                                     b"\xff", object(), "<img src=x onerror=alert(1)>", "\x00" * 10,
                                     "a" * 10_000, "\ud800", "é" * 3000])
def test_hostile_values_in_any_field_never_crash(hostile):
    for kind, fields in catalogue.KIND_FIELDS.items():
        base = request(kind)
        for field in fields:
            data = dict(base, **{field["name"]: hostile})
            try:
                v.validate_request(kind, data, today=TODAY)
            except ValidationFailed as error:
                assert set(error.fields) <= {f["name"] for f in fields}
        for name in ("civility", "last_name", "first_name", "birth_date", "department"):
            data = dict(base, insured=insured(**{name: hostile}))
            with pytest.raises(ValidationFailed) as caught:
                v.validate_request(kind, data, today=TODAY)
            assert set(caught.value.fields) == {f"insured.{name}"}


def test_validate_request_defaults_to_today():
    assert v.validate_request("document", request("document"))["details"]["document_type"] == "attestation_droits"


def test_validate_free_text():
    assert v.validate_free_text("  Merci \x00 ") == "Merci"
    with pytest.raises(ValidationFailed) as caught:
        v.validate_free_text(NIR_PARIS, "reply")
    assert caught.value.fields == {"reply": v.NIR_MESSAGE}
    with pytest.raises(ValidationFailed) as caught:
        v.validate_free_text("", "reply", required=True)
    assert caught.value.fields == {"reply": v.MISSING}


@pytest.mark.parametrize("kind,name,value,expected", [
    ("document", "comment", "NIR 2 84 05 99 123 456 06", v.NIR_MESSAGE),
    ("document", "comment", "Attestation pour l'hébergement.", None),
    ("document", "comment", "x" * (catalogue.FREE_TEXT_MAX + 1), v.too_long(catalogue.FREE_TEXT_MAX)),
    (None, "message", "Son NIR : 184059912345656", v.NIR_MESSAGE),
    ("", "message", "Voici le justificatif.", None),
    ("document", "insured.last_name", "Dupont", None),
    ("document", "insured.last_name", "Dupont3", v.BAD_NAME),
    ("document", "insured.first_name", "284059912345606", v.NIR_MESSAGE),
    ("document", "insured.birth_date", "2999-01-01", v.BIRTH_DATE_FUTURE),
    ("document", "insured.department", "2A", None),
    ("suivi_ame", "filed_on", "2999-01-01", v.FILED_ON_FUTURE),
])
def test_one_field_is_checked_as_on_submission(kind, name, value, expected):
    assert v.field_problem(kind, name, value) == expected


@pytest.mark.parametrize("kind,name", [("document", "nope"), ("nope", "comment"), (None, "comment"), (3, None),
                                       ("document", "insured.nir")])
def test_checking_an_unknown_field_is_a_typed_error(kind, name):
    with pytest.raises(ValidationFailed):
        v.field_problem(kind, name, "x")
