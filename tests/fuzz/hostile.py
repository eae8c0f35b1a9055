"""Hypothesis strategies for hostile input: markup and script, SQL metacharacters, control
and invisible characters, right-to-left overrides, emoji, very long strings, wrong types."""
from hypothesis import strategies as st

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
KNOWN = [SCRIPT, IMG, "' OR 1=1 --", "'; DROP TABLE account; --", "%00", "\x00", "\x1b[31m", "\u202egnp.exe",
         "\u200b\u200b", "😀" * 50, "{{7*7}}", "${jndi:ldap://x/a}", "../../etc/passwd", "\r\n\r\nX-Injected: 1",
         "a" * 100_000, "0" * 40, "-1", "1e308", "NaN", "null", "[]", "{}", " ", ""]

# Text that JSON and HTTP can carry (no lone surrogates: no client can send them).
text = st.one_of(st.sampled_from(KNOWN), st.text(max_size=200),
                 st.text(st.characters(codec="utf-8"), min_size=500, max_size=3000))
# Identifiers that name nothing that exists: hostile input must not reach a real object by chance.
unknown_number = st.one_of(st.integers(min_value=10**9, max_value=2**63), st.integers(max_value=0),
                           st.floats(allow_nan=False))
value = st.recursive(st.one_of(st.none(), text, unknown_number),
                     lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
                     max_leaves=6)
