"""A stand-in for the accounts service's paged directory (``active_users`` /
``password_expiries``): the same page contract over a list, recording what was asked."""


def person(account_id, caisses=("999",), **extra):
    return {"account_id": account_id, "email": f"personne{account_id}@structure.example.test",
            "first_name": "Prénom", "last_name": f"Nom{account_id}", "profile": "technicien",
            "caisses": list(caisses), **extra}


class Directory:
    def __init__(self, people, page_size=2):
        self.people, self.page_size, self.asked = sorted(people, key=lambda p: p["account_id"]), page_size, []

    def _page(self, chosen, after_id):
        items = [p for p in chosen if p["account_id"] > after_id][: self.page_size]
        return {"items": items, "next": items[-1]["account_id"] if len(items) == self.page_size else None}

    def users_of(self, caisse_code, after_id):
        self.asked.append((caisse_code, after_id))
        return self._page([p for p in self.people if caisse_code is None or caisse_code in p["caisses"]], after_id)

    def expiries(self, after_id):
        self.asked.append(("expiries", after_id))
        return self._page(self.people, after_id)
