"""The About page's links to what a reviewer needs to check this build: the `{reproduction-files}`
directive.

`tools/build.py` publishes two files beside the web book's start page after every HTML build:
the results manifest of the build (`tools/results.py`: inputs, environment and every result) and
the complete source at the built commit (`git archive`). The directive links to both from the
page it is on; in the PDF and the EPUB, which do not carry those files, it names them as files
of the web edition.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

# The two files, as tools/results.py names them.
MANIFEST_NAME = "results-manifest.json"
SOURCE_ARCHIVE_NAME = "source.tar.gz"
# (file, what it is, its format)
FILES = ((MANIFEST_NAME, "the results manifest of this build", "JSON"),
         (SOURCE_ARCHIVE_NAME, "the complete source at this build’s commit", ".tar.gz"))


class reproduction_files(nodes.General, nodes.Element):
    """Placeholder, replaced when the page is written (links only in the web book)."""


class ReproductionFiles(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        return [reproduction_files()]


class FillReproductionFiles(SphinxPostTransform):
    default_priority = 7

    def run(self, **kwargs) -> None:
        web = self.app.builder.format == "html" and not self.app.builder.name.startswith("epub")
        up = "../" * self.env.docname.count("/")
        for placeholder in list(self.document.findall(reproduction_files)):
            if web:
                replacement = nodes.bullet_list()
                for name, what, kind in FILES:
                    reference = nodes.reference("", f"{what[:1].upper()}{what[1:]} ({kind})",
                                                refuri=up + name, internal=False)
                    replacement += nodes.list_item("", nodes.paragraph("", "", reference))
            else:
                replacement = nodes.paragraph("", "The web edition publishes, beside its start page, "
                                              + " and ".join(f"{what} ({name})" for name, what, _ in FILES)
                                              + ".")
            placeholder.replace_self(replacement)


def setup(app) -> None:
    app.add_node(reproduction_files)
    app.add_directive("reproduction-files", ReproductionFiles)
    app.add_post_transform(FillReproductionFiles)
