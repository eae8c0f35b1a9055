"""The caisse's partner screens and the national admin's caisses, through the
web against the real services. Destructive steps (caps, inactivations, the end
of a convention, suspension) run on partners registered here with a fresh
fictitious SIRET; the demo partners are only read (and their review confirmed)."""
import random
import html
import re
import uuid

import pytest

from tests.helpers import csrf_from, login, post_form

pytestmark = [pytest.mark.integration, pytest.mark.db]

HX = {"HX-Request": "true"}
FEATURES = ["contact_caisse", "etude_dossier", "suivi_ame", "signalement", "rendez_vous", "document", "actualites",
            "historique"]
CSV_HEADER = "Nom;Prénom;Adresse électronique;Fonction;Profil;Statut;Créé par;Créé le;Dernière connexion"
DATE_TIME = r"\d\d/\d\d/\d{4} \d\d:\d\d"


def fictitious_siret():
    """13 random digits and the Luhn check digit (the rule the accounts service applies)."""
    body = "".join(random.choice("0123456789") for _ in range(13))
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d) * (1 if i % 2 else 2)       # positions once the check digit is appended
        total += n - 9 if n > 9 else n
    return body + str((10 - total % 10) % 10)


def page_of(response) -> str:
    """The HTML with entities decoded, to look for the French sentences as written."""
    return html.unescape(response.get_data(as_text=True))


def unique_email(prefix="gestionnaire"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@structure-essai.test"


def person(email, **changes):
    return {"civility": "M.", "last_name": "Essai", "first_name": "Bruno", "function": "Directeur",
            "phone": "01 23 45 67 89", "email": email, **changes}


def register_partner(client, **changes):
    """As the logged-in agent; -> (partner id, name)."""
    name = f"Structure d'essai {uuid.uuid4().hex[:8]}"
    data = {"name": name, "kind": "Association", "siret": fictitious_siret(), "address": "3 rue des Essais, Valfleuri",
            "member_count": "5", "email_domains": "", "start_date": "01/01/2026", "end_date": "",
            "tacit_renewal": "y", "features": FEATURES, **changes}
    response = post_form(client, "/partenaires/nouveau", data)
    assert response.status_code == 303, page_of(response)
    match = re.fullmatch(r"/partenaires/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1)), name


def account_id(html, email):
    match = re.search(r'<tr id="compte-(\d+)">(?:(?!</tr>).)*?' + re.escape(email), html, re.S)
    assert match, f"no row for {email}"
    return int(match.group(1))


def row_of(html, account):
    match = re.search(rf'<tr id="compte-{account}">.*?</tr>', html, re.S)
    assert match, f"no row {account}"
    return match.group(0)


def test_partner_form_defaults_and_field_errors(client):
    login(client, "agent_caisse")
    form = page_of(client.get("/partenaires/nouveau"))
    assert len(re.findall(r'<input[^>]*checked[^>]*name="features"|<input[^>]*name="features"[^>]*checked', form)) == 8
    assert re.search(r'<input[^>]*id="tacit_renewal"[^>]*checked|<input[^>]*checked[^>]*id="tacit_renewal"', form)
    assert '<label for="siret">SIRET</label>' in form and "<caption" not in form

    response = client.post("/partenaires/nouveau", data={
        "csrf_token": csrf_from(form), "name": "", "kind": "CCAS", "siret": "12345678901234", "address": "1 rue",
        "member_count": "beaucoup", "start_date": "pas une date"})
    page = page_of(response)
    assert response.status_code == 200
    for message in ("Nom : ce champ est obligatoire.", "SIRET : 14 chiffres valides.",
                    "Nombre de membres de la structure : un nombre entier positif.",
                    "Date de début : une date valide.", "Activez au moins une fonctionnalité."):
        assert message in page, message
    assert re.search(r'<input[^>]*aria-describedby="siret-hint siret-error"[^>]*aria-invalid="true"', page)
    assert re.search(r'<fieldset[^>]*id="features"[^>]*aria-describedby="features-error"', page)


def test_agent_registers_a_partner_and_habilitates_its_gestionnaires(client, mailbox):
    login(client, "agent_caisse")
    partner, name = register_partner(client)
    page = page_of(client.get(f"/partenaires/{partner}"))
    assert f"<h1>{name}</h1>" in page
    assert "est enregistré, avec sa convention" in page and "Convention avec CPAM de Valfleuri" in page
    assert "0 / 2</span> gestionnaires actifs" in page and "Aucun compte pour l'instant." in page
    listing = page_of(client.get("/partenaires"))
    assert name in listing and "en vigueur depuis le 01/01/2026" in listing

    first, second = unique_email(), unique_email()
    url = f"/partenaires/{partner}/gestionnaires"
    token = csrf_from(page)
    for email in (first, second):
        created = client.post(url, data={"csrf_token": token, **person(email)})
        assert created.status_code == 303
    invitation = mailbox.wait_for(first)
    assert "/activation/" in invitation["text"] and first in invitation["to"]

    # The cap (2 gestionnaires for 5 members): a French message by the form.
    refused = client.post(url, data={"csrf_token": token, **person(unique_email())})
    page = page_of(refused)
    assert refused.status_code == 200
    assert "Le nombre maximal de gestionnaires actifs pour" in page and "2 / 2</span> gestionnaires actifs" in page

    first_id, second_id = account_id(page, first), account_id(page, second)
    # HTMX inactivation of one: the table comes back, cap freed.
    response = client.post(f"/partenaires/{partner}/comptes/{first_id}/inactiver",
                           data={"csrf_token": token, "reason": "demande_partenaire"}, headers=HX)
    fragment = page_of(response)
    assert response.status_code == 200 and "<html" not in fragment
    assert "Le compte de Bruno Essai est inactivé." in fragment and "1 / 2</span> gestionnaires actifs" in fragment
    assert "à la demande de la structure partenaire" in row_of(fragment, first_id)
    # The last active gestionnaire may not go (plain post: redirect and the message).
    response = client.post(f"/partenaires/{partner}/comptes/{second_id}/inactiver",
                           data={"csrf_token": token, "reason": "demande_partenaire"})
    assert response.status_code == 303
    page = page_of(client.get(response.headers["Location"]))
    assert "C'est le dernier gestionnaire actif de la structure" in page
    assert "Actif" in row_of(page, second_id)
    response = client.post(f"/partenaires/{partner}/comptes/{first_id}/reactiver", data={"csrf_token": token},
                           headers=HX)
    assert "Le compte de Bruno Essai est réactivé." in page_of(response)
    response = client.post(f"/partenaires/{partner}/comptes/{first_id}/renvoyer-invitation",
                           data={"csrf_token": token}, headers=HX)
    assert "Un nouveau lien d'activation vient d'être envoyé par courriel." in page_of(response)

    # The caisse edits a gestionnaire on the partner's request.
    edit_url = f"/partenaires/{partner}/comptes/{second_id}/modifier"
    form = page_of(client.get(edit_url))
    assert f'value="{second}"' in form
    bad = post_form(client, edit_url, person(second, phone="pas un numéro"))
    assert "Téléphone : 10 chiffres" in page_of(bad)
    saved = post_form(client, edit_url, person(second, function="Directeur adjoint"))
    assert saved.status_code == 303
    page = page_of(client.get(f"/partenaires/{partner}"))
    assert "Directeur adjoint" in row_of(page, second_id)

    # Pending invitations: both are listed, with the partner; resent plainly.
    invitations = page_of(client.get("/invitations"))
    assert first in invitations and second in invitations and name in invitations
    resent = client.post(f"/invitations/{second_id}/renvoyer", data={"csrf_token": token})
    assert resent.status_code == 303
    assert "Un nouveau lien d'activation" in page_of(client.get("/invitations"))

    # CSV export of the table.
    export = client.get(f"/partenaires/{partner}/habilitations.csv")
    assert export.headers["Content-Type"].startswith("text/csv")
    assert export.headers["Content-Disposition"] == f'attachment; filename="habilitations-{partner}.csv"'
    text = export.data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert lines[0] == CSV_HEADER and len(lines) == 3
    assert any(line.startswith(f"Essai;Bruno;{second};Directeur adjoint;Gestionnaire;actif;Claire Dumoulin;")
               for line in lines)

    # The partner's audit trail.
    journal = page_of(client.get(f"/partenaires/{partner}/journal"))
    for label in ("Enregistrement du partenaire", "Ajout d'une convention", "Création de compte (habilitation)",
                  "Inactivation du compte", "Réactivation du compte", "Modification du compte",
                  "Nouvel envoi du lien d'activation"):
        assert label in journal, label
    assert re.search(rf"<time[^>]*>{DATE_TIME}</time>", journal) and "Claire Dumoulin" in journal
    everything = page_of(client.get("/journal"))
    assert "<caption>Actions sur les comptes de vos partenaires" in everything
    assert "Enregistrement du partenaire" in everything and name in everything


def test_suspension_features_and_end_of_convention(client):
    login(client, "agent_caisse")
    partner, name = register_partner(client, member_count="12")
    page = page_of(client.get(f"/partenaires/{partner}"))
    token = csrf_from(page)
    email = unique_email()
    assert client.post(f"/partenaires/{partner}/gestionnaires",
                       data={"csrf_token": token, **person(email)}).status_code == 303

    suspended = client.post(f"/partenaires/{partner}/suspension", data={"csrf_token": token, "suspendre": "1"},
                            headers=HX)
    assert suspended.status_code == 200 and suspended.headers["HX-Redirect"] == f"/partenaires/{partner}"
    page = page_of(client.get(f"/partenaires/{partner}"))
    assert "est suspendu." in page and "Rétablir l'accès du partenaire" in page
    assert client.post(f"/partenaires/{partner}/suspension",
                       data={"csrf_token": token, "suspendre": "0"}).status_code == 303
    page = page_of(client.get(f"/partenaires/{partner}"))
    assert "est rétabli." in page and "Suspendre l'accès du partenaire" in page

    convention = int(re.search(r'id="convention-(\d+)"', page).group(1))
    features_url = f"/partenaires/{partner}/conventions/{convention}/fonctionnalites"
    response = client.post(features_url, data={"csrf_token": token, "features": ["document", "historique"]})
    assert response.status_code == 303
    page = page_of(client.get(f"/partenaires/{partner}"))
    assert "Les fonctionnalités de la convention avec CPAM de Valfleuri sont enregistrées." in page
    checked = re.findall(rf'id="features-{convention}-(\w+)" checked', page)
    assert checked == ["document", "historique"]
    client.post(features_url, data={"csrf_token": token})
    assert "Activez au moins une fonctionnalité." in page_of(client.get(f"/partenaires/{partner}"))

    assert 'hx-confirm="Confirmez-vous la fin de la convention' in page
    ended = client.post(f"/partenaires/{partner}/conventions/{convention}/fin", data={"csrf_token": token},
                        headers=HX)
    # Ended: the caisse has no right over the partner any more; its list keeps the name and the status.
    assert ended.status_code == 200 and ended.headers["HX-Redirect"] == "/partenaires"
    page = page_of(client.get("/partenaires"))
    assert "La convention avec CPAM de Valfleuri a pris fin." in page
    assert re.search(rf"<th scope=\"row\">{re.escape(name)}</th>\s*<td colspan=\"5\"><span class=\"badge badge-inactive\">"
                     r"Terminée</span>", page)
    assert client.get(f"/partenaires/{partner}").status_code == 404
    admin = client.application.test_client()
    login(admin, "admin_national")
    page = page_of(admin.get(f"/partenaires/{partner}"))
    assert "Terminée" in page and "Mettre fin à la convention" not in page
    row = row_of(page, account_id(page, email))
    assert "Inactif" in row and "fin de la convention avec la caisse" in row


def test_agent_of_another_caisse_cannot_see_partner_1(client):
    login(client, "agent_autre_caisse")
    listing = page_of(client.get("/partenaires"))
    assert "Association Le Relais Fictif" in listing and 'href="/partenaires/1"' not in listing
    for path in ("/partenaires/1", "/partenaires/1/habilitations.csv", "/partenaires/1/journal"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Partenaire introuvable." in page_of(response)
    page = page_of(client.get("/partenaires/2"))
    assert "Convention avec CPAM des Hauts-Fictifs" in page and "Convention avec CPAM de Valfleuri" not in page
    response = client.post("/partenaires/1/revue", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404
    assert client.get("/admin/caisses").status_code == 403


def test_admin_manages_caisses_and_views_partners(client):
    login(client, "admin_national")
    listing = page_of(client.get("/admin/caisses"))
    assert "<caption>Caisses et leurs référents locaux</caption>" in listing
    assert "CPAM de Valfleuri" in listing and "Service partenaires" in listing

    code = str(random.randint(100, 899))
    bad = post_form(client, "/admin/caisses/nouvelle", {"code": "12", "name": "CPAM d'Essai",
                                                        "referents-1-name": "Sans moyen de contact"})
    page = page_of(bad)
    assert "Code : trois chiffres (ex. 601)." in page
    assert "Référent incomplet : la fonction est obligatoire, au moins un téléphone, une adresse électronique valide." in page
    assert 'id="referents-1-name-error"' in page                  # under the row it came from

    saved = post_form(client, "/admin/caisses/nouvelle", {
        "code": code, "name": "CPAM d'Essai", "address": "4 avenue de l'Essai",
        "referents-0-name": "Pôle essais", "referents-0-function": "Référente", "referents-0-phones": "0100000000",
        "referents-0-email": "essais@cpam-essai.test"})
    assert saved.status_code == 303 and saved.headers["Location"] == "/admin/caisses"
    listing = page_of(client.get("/admin/caisses"))
    assert f"La caisse {code} — CPAM d'Essai est enregistrée." in listing and "Pôle essais" in listing
    caisse = int(re.search(rf"<td>{code}</td>.*?/admin/caisses/(\d+)", listing, re.S).group(1))
    form = page_of(client.get(f"/admin/caisses/{caisse}"))
    assert 'value="Pôle essais"' in form and f'value="{code}"' in form
    renamed = post_form(client, f"/admin/caisses/{caisse}", {
        "code": code, "name": "CPAM d'Essai renommée", "referents-0-kind": "mailbox", "referents-0-name": "Pôle essais",
        "referents-0-phones": "0100000000", "referents-0-email": "essais@cpam-essai.test"})
    assert renamed.status_code == 303
    assert "CPAM d'Essai renommée" in page_of(client.get("/admin/caisses"))
    duplicate = post_form(client, "/admin/caisses/nouvelle", {"code": code, "name": "Doublon"})
    assert "Une caisse porte déjà ce code." in page_of(duplicate)

    partners = page_of(client.get("/partenaires"))
    assert "CCAS de Saint-Exemple" in partners and "Association Le Relais Fictif" in partners
    assert "Enregistrer un partenaire" not in partners
    assert client.get("/partenaires/nouveau").status_code == 403
    detail = page_of(client.get("/partenaires/2"))
    assert "Convention avec CPAM de Valfleuri" in detail and "Convention avec CPAM des Hauts-Fictifs" in detail
