"""What a typed error shows in logs and tracebacks: its sentence, never what it carries."""
import traceback

from contracts.errors import ProfileChoiceRequired, SecondFactorRequired, ValidationFailed


def test_a_login_ticket_stays_out_of_logs_and_tracebacks():
    for error in (SecondFactorRequired(None, "TICKET-SECRET"), ProfileChoiceRequired(None, [], "TICKET-SECRET"),
                  ValidationFailed(None, {"name": "Jean TICKET-SECRET"})):
        try:
            raise error
        except Exception as raised:
            shown = "".join(traceback.format_exception(raised)) + f"{raised} {raised!r} %s" % raised
        assert "TICKET-SECRET" not in shown
        assert error.message in shown
    assert SecondFactorRequired(None, "TICKET-SECRET").ticket == "TICKET-SECRET"      # still carried to the caller
