"""The web's screens: one module per blueprint, named as the blueprint (url_for("<module>.<view>")).
What they share is in services/web/toolkit.py; what runs before each of them, pipeline.py."""
from services.web.views import (admin, auth, conventions, delivery, habilitations, home, legal, maintenance, news,
                                partners, personal_data, requests_ui, second_factor, staff, vendor)

BLUEPRINTS = tuple(module.bp for module in (auth, home, vendor, admin, partners, habilitations, requests_ui,
                                            maintenance, news, delivery, personal_data, second_factor,
                                            conventions, staff, legal))
