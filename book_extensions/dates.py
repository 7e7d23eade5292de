"""``{dated}`id```: a date of an event, printed as the row `id` of data/event_dates.csv prints
it (so it is typed once, in the table), at an anchor that the audit links to (``d-ID``).

The table holds the days of the Chronology and the dates the prose gives for events that the
Chronology records, each tied to the day that records it: the audit page lists a prose date
that differs from its day (`kzthesis.chronology.dates_audit`). A date is not a quantity: it has
no origin to show (tools/numerals.py counts it as a date).
"""

from __future__ import annotations

from docutils import nodes

RESOURCE = "event_dates"


def dated_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    from kzthesis import chronology, data

    env = inliner.document.settings.env
    for path in (data.DESCRIPTOR, data.DATA_DIR / data.resource_descriptor(RESOURCE)["path"]):
        env.note_dependency(data.relative(path))
    table = chronology.event_dates()
    key = text.strip()
    if key not in table.index:
        message = inliner.reporter.error(
            f"{{dated}}: no row '{key}' in data/event_dates.csv (column 'id')", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    row = table.loc[key]
    if row.page != env.docname.rsplit("/", 1)[-1]:
        message = inliner.reporter.error(
            f"{{dated}}`{key}`: data/event_dates.csv gives it to page '{row.page}'", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    anchor = f"d-{key}"
    node = nodes.inline(rawtext, str(row.printed), classes=["event-date"], ids=[anchor])
    env.get_domain("std").note_hyperlink_target(anchor, env.docname, anchor, str(row.printed))
    return [node], []


def setup(app) -> None:
    app.add_role("dated", dated_role)
