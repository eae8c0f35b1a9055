"""The web's screens: one module per blueprint, named as the blueprint (url_for("<module>.<view>")).
What they share is in services/web/toolkit.py; what runs before each of them, pipeline.py."""
from services.web.views import (account_requests, admin, auth, conventions, delivery, documentation, habilitations,
                                home, legal, maintenance, news, partners, personal_data, requests_ui, second_factor,
                                staff, statistics, supervision, support, vendor)

BLUEPRINTS = tuple(module.bp for module in (auth, home, vendor, admin, partners, habilitations, requests_ui,
                                            maintenance, news, delivery, personal_data, second_factor,
                                            conventions, staff, support, documentation, account_requests, legal,
                                            statistics, supervision))
