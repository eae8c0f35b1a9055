"""The requests screens, through the web, against the running services, clamd and
the mail catcher: filing each request, refusals (NIR, second open request,
virus), the whole exchange between a technicien and a caisse agent, the emails
it sends, who may see what, and the histories' filters and pages."""
import html
import io
import re
import uuid

import pytest

from services.requests.tests.test_attachments import EICAR_PDF, PDF, PNG
from tests.helpers import csrf_from, login, new_technicien, post_form, search

pytestmark = pytest.mark.db

NIR = "2 84 05 99 123 456 06"        # shape and valid key of a NIR (fictitious person)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def unique_name() -> str:
    """Names take letters only: a random one keeps runs and tests apart."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10]).capitalize()


def insured(last_name, department="60"):
    return {"insured.civility": "Mme", "insured.last_name": last_name, "insured.first_name": "Jeanne",
            "insured.birth_date": "1980-05-17", "insured.department": department}


def submit(client, kind, fields, files=(), caisse="999", htmx=False):
    url = f"/demandes/nouvelle/{caisse}/{kind}"
    page = client.get(url)
    assert page.status_code == 200, text(page)
    data = {**fields, "csrf_token": csrf_from(text(page)),
            "files": [(io.BytesIO(content), name) for name, content in files]}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data=data, content_type="multipart/form-data", headers=headers)


def created_id(response) -> int:
    assert response.status_code == 303, text(response)
    return int(re.fullmatch(r"/demandes/(\d+)", response.headers["Location"])[1])


def act(client, request_id, action, message="", files=(), htmx=True):
    page = text(client.get(f"/demandes/{request_id}"))
    data = {"csrf_token": csrf_from(page), "message": message,
            "files": [(io.BytesIO(content), name) for name, content in files]}
    headers = {"HX-Request": "true", "HX-Target": "demande"} if htmx else {}
    return client.post(f"/demandes/{request_id}/actions/{action}", data=data, content_type="multipart/form-data",
                       headers=headers)


def document_request(name, department="60"):
    return {**insured(name, department), "document_type": "attestation_droits", "comment": ""}


def test_technicien_chooses_among_the_kinds_of_the_convention(client):
    login(client, "technicien")
    page = text(client.get("/demandes/nouvelle"))
    assert "CPAM de Valfleuri" in page
    for label in ("Contacter votre organisme", "Demander un document", "Demander un rendez-vous"):
        assert label in page
    form = text(client.get("/demandes/nouvelle/999/rendez_vous"))
    assert 'name="preferred_days" value="mardi"' in form and 'name="insured.department"' in form
    assert "N'indiquez aucune donnée de santé" in form
    assert client.get("/demandes/nouvelle/998/rendez_vous").status_code == 403      # no convention there


def test_document_request_with_a_pdf_is_filed_and_its_file_downloadable(client):
    login(client, "technicien")
    name = unique_name()
    request_id = created_id(submit(client, "document", document_request(name), [("justificatif.pdf", PDF)]))
    page = text(client.get(f"/demandes/{request_id}"))
    assert "est déposée auprès de la caisse" in page and name.upper() in page
    assert "Attestation de droits" in page and "À l'adresse connue de la personne" in page
    link = re.search(r'href="(/demandes/\d+/pieces/\d+)"', page)[1]
    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "justificatif.pdf" in download.headers["Content-Disposition"]


def test_empty_form_shows_each_missing_field_and_files_nothing(client):
    login(client, "technicien")
    response = submit(client, "signalement", {})
    page = text(response)
    assert response.status_code == 400
    assert "corrigez les champs signalés" in page
    for field in ("insured-last_name", "insured-birth_date", "difficulty", "description", "consent"):
        assert f'id="f-{field}-error"' in page, field
    assert 'aria-describedby="f-insured-last_name-error f-insured-last_name-live"' in page


def test_a_nir_is_refused_saying_why_and_nothing_is_stored(client):
    login(client, "technicien")
    name = unique_name()
    response = submit(client, "contact_caisse", {**insured(name), "subject": "autre",
                                                 "message": f"Son numéro est le {NIR}, merci."})
    page = text(response)
    assert response.status_code == 400
    assert "Ne saisissez jamais de numéro de sécurité sociale" in page
    assert "Son numéro est le" in page                     # what was typed is kept for correction
    assert name.upper() not in text(search(client, "/demandes", q=name))


def test_a_second_open_request_for_the_same_person_links_to_the_first(client):
    login(client, "technicien")
    name = unique_name()
    first = created_id(submit(client, "document", document_request(name)))
    again = submit(client, "document", document_request(name))
    page = text(again)
    assert again.status_code == 400 and "déjà en cours pour cette personne" in page
    assert f'href="/demandes/{first}"' in page
    # Another kind for the same person is fine.
    created_id(submit(client, "rendez_vous", {**insured(name), "reason": "droits", "preferred_days": ["lundi"],
                                               "preferred_times": ["matin"], "channel": "telephone"}))


def test_a_pdf_carrying_eicar_is_refused_by_the_antivirus(client):
    login(client, "technicien")
    name = unique_name()
    response = submit(client, "document", document_request(name), [("courrier.pdf", EICAR_PDF)])
    page = text(response)
    assert response.status_code == 400
    assert 'id="f-files-error"' in page and "virus" in page.lower()
    assert name.upper() not in text(search(client, "/demandes", q=name))


def test_contact_is_routed_to_the_caisse_of_the_insured_department(client, app):
    login(client, "technicien")
    name = unique_name()
    request_id = created_id(submit(client, "contact_caisse", {**insured(name, department="02"), "subject": "droits",
                                                              "message": "Elle vient d'emménager dans l'Aisne."}))
    assert "la caisse du département de résidence (998)" in text(client.get(f"/demandes/{request_id}"))
    other = app.test_client()
    login(other, "agent_autre_caisse")
    assert other.get(f"/demandes/{request_id}").status_code == 200
    convention_agent = app.test_client()
    login(convention_agent, "agent_caisse")
    assert convention_agent.get(f"/demandes/{request_id}").status_code == 404


def test_the_whole_exchange_between_a_technicien_and_the_caisse(client, app, mailbox):
    """Partner 2 is a habilitated body: documents come back through the portal."""
    login(client, "technicien_b")
    name = unique_name()
    request_id = created_id(submit(client, "document", document_request(name), [("demande.png", PNG)]))
    agent = app.test_client()
    login(agent, "agent_caisse")
    queue = text(agent.get("/file"))
    assert name.upper() in queue

    seen = len(mailbox.messages())
    taken = act(agent, request_id, "take")
    assert taken.status_code == 200 and "<html" not in text(taken)   # the region alone
    assert "Prise en charge" in text(taken)
    assert "Déclarer irrecevable" in text(taken) and "hx-confirm" in text(taken)
    email = mailbox.wait_for("technicien@relais-fictif.test", after=seen, containing="sur la demande")
    assert f"/demandes/{request_id}" in email["text"] and name.upper() not in email["text"].upper()

    asked = act(agent, request_id, "ask", "Merci de joindre le justificatif de domicile.")
    assert "En attente du partenaire" in text(asked)
    assert "Déclarer irrecevable" not in text(asked)            # only before the partner is asked

    replied = act(client, request_id, "reply", "Voici le justificatif.", [("domicile.pdf", PDF)])
    assert "Voici le justificatif." in text(replied)
    answered = act(agent, request_id, "answer", "Attestation jointe.", [("attestation.pdf", PDF)])
    assert "Répondue" in text(answered)
    closed = act(agent, request_id, "close", htmx=False)
    assert closed.status_code == 303

    timeline = text(client.get(f"/demandes/{request_id}"))
    for step in ("Déposée", "Prise en charge", "En attente du partenaire", "Répondue", "Clôturée",
                 "Merci de joindre le justificatif", "Voici le justificatif.", "domicile.pdf"):
        assert step in timeline, step
    outgoing = re.search(r'href="(/demandes/\d+/pieces/\d+)"[^>]*>attestation.pdf', timeline)[1]
    assert client.get(outgoing).data == PDF
    # A closed request takes no more actions.
    assert "Agir sur la demande" not in timeline
    refused = act(client, request_id, "message", "Encore une question.")
    assert "impossible" in text(refused)


def test_an_empty_message_is_refused_and_the_status_stays(client, app):
    login(client, "technicien")
    request_id = created_id(submit(client, "document", document_request(unique_name())))
    agent = app.test_client()
    login(agent, "agent_caisse")
    act(agent, request_id, "take")
    refused = act(agent, request_id, "ask", "   ")
    assert "Ce champ est obligatoire." in text(refused)
    assert "Prise en charge" in text(refused)
    assert "En attente du partenaire</span>" not in text(refused)


def test_ordinary_partner_gets_no_document_through_the_portal(client, app):
    login(client, "technicien")               # partner 1 is not a habilitated body
    request_id = created_id(submit(client, "document", document_request(unique_name())))
    agent = app.test_client()
    login(agent, "agent_caisse")
    page = text(act(agent, request_id, "take"))
    assert "pas un organisme habilité" in page and 'name="files"' not in page
    refused = act(agent, request_id, "answer", "Envoyé par courrier.", [("attestation.pdf", PDF)])
    assert "ne sont transmis par le portail qu'aux organismes habilités" in text(refused)


def test_nobody_reaches_another_partner_or_caisse_request(client, app):
    login(client, "technicien")
    request_id = created_id(submit(client, "document", document_request(unique_name()), [("piece.pdf", PDF)]))
    link = re.search(r'href="(/demandes/\d+/pieces/\d+)"', text(client.get(f"/demandes/{request_id}")))[1]
    for role in ("technicien_b", "gestionnaire_b", "agent_autre_caisse"):
        other = app.test_client()
        login(other, role)
        assert other.get(f"/demandes/{request_id}").status_code == 404, role
        assert other.get(link).status_code == 404, role
        assert other.get(f"/demandes/{request_id + 100000}").status_code == 404, role
    outsider = app.test_client()
    login(outsider, "technicien_b")
    page = text(outsider.get("/demandes"))
    token = csrf_from(page)
    response = outsider.post(f"/demandes/{request_id}/actions/message", data={"csrf_token": token, "message": "x"})
    assert response.status_code == 404


def test_gestionnaire_follows_the_history_but_does_not_file(client):
    login(client, "gestionnaire_b")
    assert client.get("/demandes/nouvelle").status_code == 403
    history = text(search(client, "/demandes", q="lefevre"))
    assert "DEMO-000006" in history and "Yanis Morel" in history          # the structure's, not only one's own
    assert "DEMO-000001" not in text(search(client, "/demandes", q="moreau"))      # partner 1's
    detail = client.get(re.search(r'href="(/demandes/\d+)"', history)[1]).text
    assert "Historique" in detail and "Agir sur la demande" not in detail


def test_history_filters_update_the_list_and_pages_follow(client):
    login(client, "technicien_b")
    name = unique_name()
    for n in range(27):
        created_id(submit(client, "suivi_ame", {**insured(f"{name}{chr(ord('a') + n // 26)}{chr(ord('a') + n % 26)}"),
                                                "filed_on": "2026-09-01", "comment": ""}))
    first = search(client, "/demandes", headers={"HX-Request": "true", "HX-Target": "resultats"}, q=name,
                   kind="suivi_ame")
    page = text(first)
    assert "<html" not in page and page.count("<tr>") == 26            # header + 25 rows
    # The next page: the pager's form POSTs the filters again with the cursor (no name in a URL).
    more = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.split('class="pager"')[1]))
    assert more["q"] == name and more["kind"] == "suivi_ame" and more["apres"]
    second = text(client.post("/demandes", data=more))
    assert "<html" in second and second.count(f"{name.upper()}") == 2   # the two oldest, in a full page
    assert text(search(client, "/demandes", q=name, kind="document")).count(name.upper()) == 0
    assert text(search(client, "/demandes", q=name, status="closed")).count(name.upper()) == 0
    assert "Date invalide." in text(client.get("/demandes?date_from=hier"))


def test_fields_are_checked_as_they_are_typed(client):
    login(client, "technicien_b")
    page = text(client.get("/demandes/nouvelle/999/document"))
    assert 'hx-post="/demandes/verifier-champ?type=document&amp;champ=comment" hx-params="comment"' in \
        client.get("/demandes/nouvelle/999/document").get_data(as_text=True)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_from(page)}

    def check(kind, name, value):
        url = f"/demandes/verifier-champ?champ={name}" + (f"&type={kind}" if kind else "")
        response = client.post(url, data={name: value}, headers=headers)
        assert response.status_code == 200
        return text(response).strip()

    assert "Ne saisissez jamais de numéro de sécurité sociale" in check("document", "comment", f"Son NIR {NIR}")
    assert check("document", "comment", "Attestation pour l'hébergement.") == ""
    assert "Ne saisissez jamais" in check("document", "insured.last_name", NIR)
    assert "futur" in check("document", "insured.birth_date", "2999-01-01")
    assert "Ne saisissez jamais" in check(None, "message", NIR)             # messages on a request
    assert check("document", "pas-un-champ", "x") == ""                     # unknown field: silent
    refused = client.post("/demandes/verifier-champ?type=document&champ=comment", data={"comment": "x"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 400                                       # CSRF on HTMX posts too


def test_footer_gives_the_caisse_support_contacts(client):
    assert "Vos contacts à la caisse" not in text(client.get("/connexion"))
    login(client, "technicien")
    home = text(client.get("/"))
    assert "Vos contacts à la caisse" in home and "CPAM de Valfleuri" in home
    assert "Référente partenariats" in home and "01 99 00 00 01" in home


def test_agent_queue_home(client):
    login(client, "agent_caisse")
    overview = text(client.get("/fragments/file-attente", headers={"HX-Request": "true"}))
    assert "Déposée" in overview and "Les plus anciennes demandes non traitées" in overview
    # The weekly charts (server-side SVG) and their numbers as tables.
    assert overview.count('<svg viewBox="0 0 640 240" class="chart-svg" role="img"') == 2
    assert "Demandes déposées par semaine, par type" in overview and "Demandes déposées par semaine, par statut" in overview
    assert overview.count('<th scope="row">') >= 16 and "Demander un document" in overview
    assert "DEMO-000002" in text(search(client, "/file", q="girard"))             # open: in the queue by default
    assert "DEMO-000003" not in text(search(client, "/file", q="petitjean"))      # closed
    assert "DEMO-000003" in text(search(client, "/file", q="petitjean", status="tous"))
    assert "f-late-days" not in text(client.get("/file"))              # the delay: the caisse's settings now


def test_email_preferences_are_respected(client, app, mailbox):
    email = new_technicien(app, mailbox, client)
    assert post_form(client, "/connexion", {"email": email, "password": "Activation-Solide-2026!"}).status_code == 303
    assert post_form(client, "/cgu", {"accept": "y"}).status_code == 303
    assert post_form(client, "/mon-compte/notifications", {"messages": "oui"}).status_code == 303
    assert 'name="status_changes" value="oui" checked' not in client.get("/mon-compte/notifications").get_data(
        as_text=True)
    request_id = created_id(submit(client, "document", document_request(unique_name())))
    agent = app.test_client()
    login(agent, "agent_caisse")
    seen = len(mailbox.messages())
    act(agent, request_id, "take")                               # a status change: no email wanted
    act(agent, request_id, "message", "Nous traitons votre demande.")
    message = mailbox.wait_for(email, after=seen, containing="sur la demande")
    assert "nouveau message" in message["text"].lower()
    about_requests = [m for m in mailbox.messages()[seen:] if email in m["to"] and "sur la demande" in m["subject"]]
    assert len(about_requests) == 1
