"""Builds the multi-page dumps of the site repetition benchmark from built static sites in git.

Each host is a public repository that commits its built site (a blog or documentation site). Its pages
are turned into naive page text (one block per line, as ``benchmarks.structure.naive_text`` writes it),
and each line is labelled from where it sat on the page: ``C`` (content) when it was inside the page's
article container or was its headline, ``J`` (junk) otherwise (navigation, sidebars, footers, metadata,
previous/next links, tables of contents beside the article). The containers are named per host below,
chosen by looking at the pages.

    python -m benchmarks.siterepeat.build OWNER/REPO GIT_DIR [--pages 40]

writes ``benchmarks/siterepeat/<part>/<host>.txt``: a header, then each page as a ``== URL`` line
followed by its lines, each ``C<TAB>text`` or ``J<TAB>text``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks.structure.naive_text import naive_blocks

HERE = Path(__file__).parent


@dataclass(frozen=True)
class HostSpec:
    host: str
    lang: str
    part: str
    #: Which files are pages of the site (a regex over the path in the repository).
    pages: str
    #: Path elements (``tag.class#id`` as naive_text describes them) whose text is the article.
    content: str
    #: Path elements whose text is the article's headline.
    title: str
    #: Path elements inside the content that are not content (previous/next links, share bars).
    not_content: str = r"^$"
    #: The branch or commit the built site is on (GitHub Pages sites often build to ``gh-pages``).
    ref: str = "HEAD"
    #: The site's address, when its pages' paths are not under ``https://HOST/`` as they are in the repository.
    base: str = ""
    #: Line texts labelled ``J`` wherever they sit: reading the built lines found these inside a container
    #: although they are not the article (a related-items heading, a demo's placeholder), written down per host.
    junk_text: str = r"^$"
    #: Take pages spread evenly over the candidates in path order instead of the first ones (a crawl of a
    #: site's sections, not of its first folder).
    spread: bool = False
    #: The folder of the repository the site is built into (``docs/``): not part of the pages' URLs.
    strip: str = ""
    #: The set the host was added with, when its figures are reported apart from the committed ones (the gates
    #: hold the figures of the hosts without a group; a group's are printed until they are committed).
    group: str = ""
    #: Pages taken before the others, all of them (a host's product or recipe sheets when its other pages are posts):
    #: the rest are then taken, spread or in order, up to the number asked for.
    first: str = r"^$"


SPECS = {
    "Fung920/Fung920.github.io": HostSpec(
        "fung920.github.io", "zh", "tuned", r"^[^/]+\.html$", r"^div\.article-entry", r"^h1\.title",
    ),
    "kaitai-io/formats-kaitai-io.github.io": HostSpec(
        "formats.kaitai.io", "en", "tuned", r"^[a-z0-9_]+/index\.html$", r"^section\.format#", r"^h1$",
        # the tabs to the format's pages in each language: navigation, though inside the section
        not_content=r"^ul\.nav\b",
    ),
    "Kagarise/Kagarise.github.io": HostSpec(
        "kagarise.github.io", "zh", "heldapart", r"^20\d\d/\d\d/\d\d/[^/]+/index\.html$",
        r"^article\.post-content", r"^h1\.post-title",
    ),
    "KageHayashi/kagehayashi.github.io": HostSpec(
        "kagehayashi.github.io", "en", "tuned", r"^(?!index|about|archives|categories|tags|page|friends|games)"
        r"[^/]+/(?:[^/]+/)?index\.html$", r"^div\.markdown-body", r"^div\.post-title",
    ),
    # Second round (issue 26): six more hosts. The part of each was written down before any was scored.
    "mailhyuil/mailhyuil.github.io": HostSpec(
        "mailhyuil.github.io", "ko", "tuned", r"^docs/.+\.html$", r"^div\.theme-doc-markdown\b", r"^$",
        ref="gh-pages", spread=True,
    ),
    "Furyton/Furyton.github.io": HostSpec(
        "furyton.github.io", "en", "tuned", r"^(?:posts|diary)/.+\.html$", r"^main\.content#quarto-document-content$",
        r"^h1\.title\b",
        # the title block's categories, author and date labels: post metadata, as on the other blogs
        not_content=r"^header\.quarto-title-block\b", ref="gh-pages",
    ),
    "FunkyMuse/blog": HostSpec(
        "funkymuse.dev", "en", "tuned",
        r"^(?:posts/[^/]+/index|(?:about|apps|hire_me)/index|(?!404|index)[a-z_-]+)\.html$",
        r"^div\.post-content\b", r"^h1$", ref="gh-pages",
    ),
    "4restyou/5ftmag-website": HostSpec(
        "www.5ftmag.com", "ko", "heldapart", r"^film/[^/]+\.html$", r"^main\.film-detail$", r"^$",
        # the crumb, the brand's other films (a related list) and the call to the catalogue
        not_content=r"^(?:nav\.film-detail-crumb|ul\.film-detail-siblings|section\.film-detail-cta)\b",
        junk_text=r"의 다른 필름$", spread=True,
    ),
    "AntennaPod/antennapod.github.io": HostSpec(
        "antennapod.org", "ja", "heldapart", r"^ja/documentation/.+\.html$", r"^article\.post-content\b", r"^$",
        ref="gh-pages", spread=True,
    ),
    "Funkybullet/cn.vuejs.org": HostSpec(
        "cn.vuejs.org", "zh", "heldapart", r"^v2/(?:guide|cookbook)/[^/]+\.html$", r"^div\.content\.", r"^$",
        # ad slots, the link to a video course, the previous/next links and the "edit this page" footer
        # inside the content column
        not_content=r"^(?:div#ad|div\.ad-pagetop|div\.vueschool|div\.guide-links|div\.footer)\b", ref="gh-pages",
        spread=True,
    ),
    # Third round: sites whose content is a data sheet or a recipe (field names and headings the template repeats
    # on every page). The part of each was written down before any was scored.
    "Auroratide/poke5e-mirror": HostSpec(
        "auroratide.github.io", "en", "tuned", r"^pokemon/[a-z0-9-]+\.html$", r"^article\.svelte-", r"^$",
        ref="gh-pages", base="https://auroratide.github.io/poke5e/", spread=True,
    ),
    "HeyItsWaters/edwards-family-cookbook": HostSpec(
        "edwardsfamilycookbook.com", "en", "tuned", r"^docs/recipes/(?!page/)[^/]+/index\.html$",
        r"^article\.post-content\b", r"^h1\.post-title\b",
        # who submitted the recipe, its category and tags: post metadata, as on the blogs; the site's footer, which
        # the theme's unclosed tags put inside the article
        not_content=r"^(?:div\.center\.m1\b|div\.categories|div\.tags|footer\.footer)",
        base="https://edwardsfamilycookbook.com/",
        strip="docs/", spread=True,
    ),
    "CyberHippo/cuizizine": HostSpec(
        "cuizizine.vergnol.eu", "fr", "heldapart",
        # the theme's four English example recipes are left out: they are on every site built with the theme
        r"^docs/recipes/(?!page/|best-big-fat|classic-lasagna|easy-pancakes|red-berry-tart)[^/]+/index\.html$",
        r"^article\.post-content\b", r"^h1\.post-title\b", not_content=r"^(?:div\.tags|footer\.footer)\b",
        ref="hugo-io", base="https://cuizizine.vergnol.eu/", strip="docs/",
    ),
    # A news digest and a forum (the issue noted none in the set), both tuned, written down before scoring.
    "this-week-in-rust/this-week-in-rust.github.io": HostSpec(
        "this-week-in-rust.org", "en", "tuned", r"^blog/\d{4}/\d\d/\d\d/[^/]+/index\.html$",
        r"^article\.post-content\b", r"^div\.col-xs-12\.col-sm-8\b", spread=True,
    ),
    "opendcl/forum-archive": HostSpec(
        "opendcl.github.io", "en", "tuned", r"^topics/[^/]+\.html$", r"^div\.post-body\b", r"^h1$",
        base="https://opendcl.github.io/forum-archive/", spread=True,
    ),
    # Fourth round (issue 26, repeated lines that are content): recipes and reference documentation, whose
    # section headings ("Ingredients", "Arguments", "Parameters:", "Method Summary") are on every page of the host
    # and inside its article. The part of each was written down before any was scored: three tuned (English
    # recipes, R and Python reference pages), two held apart (German recipes, Java reference pages).
    "bstreete/bstreete.github.io": HostSpec(
        "bstreete.github.io", "en", "tuned", r"^posts/recipes/(?!recipe-index|kid-recipe-index)[^/]+/index\.html$",
        r"^div\.e-content\.entry-content$", r"^h1\.p-name\b", ref="master", spread=True,
        group="sections",
    ),
    "8-bit-sheep/googleAnalyticsR": HostSpec(
        "code.markedmondson.me", "en", "tuned", r"^docs/reference/(?!index\.html)[^/]+\.html$",
        r"^div\.col-md-9\.contents$", r"^h1$",
        # the hidden Rd file name, and the page header's link to the function's source file (an inline element, so
        # its line is the header's): metadata, as a post's date is
        not_content=r"^div\.hidden\.name$", junk_text=r"^Source: R/",
        base="https://code.markedmondson.me/googleAnalyticsR/", strip="docs/", spread=True,
        group="sections",
    ),
    "AntoineDao/ladybug": HostSpec(
        "antoinedao.github.io", "en", "tuned", r"^docs/ladybug\.[a-z.]+\.html$", r"^div\.col-md-9\.content$", r"^$",
        ref="origin/gh-pages", base="https://antoinedao.github.io/ladybug/",
        group="sections",
    ),
    "skoenig/kochbuch": HostSpec(
        "einfachsatt.de", "de", "heldapart", r"^rezepte/[a-z-]+/[^/]+/index\.html$",
        r"^div\.min-h-0\.min-w-0\.max-w-prose\.grow$", r"^h1\.mb-8\b", ref="gh-pages", spread=True,
        group="sections",
    ),
    "3breadt/dd-plist": HostSpec(
        "3breadt.github.io", "en", "heldapart",
        r"^docs/com/dd/plist/[A-Za-z0-9.]+\.html$", r"^div\.(?:header|contentContainer)$", r"^$",
        # the last commit that holds the generated reference pages (the next one removed them)
        ref="c1416e2e70bc42a347292ac98ba0de4631c3b368", base="https://3breadt.github.io/dd-plist/", strip="docs/",
        group="sections",
    ),
    # Sixth round (issue 26, content the detector lost on hosts it was not tuned on): a second Javadoc reference, in
    # the newer (Javadoc 17) template, whose section headings, table headers ("Modifier and Type", "Method",
    # "Description") and inherited-method lists repeat on every class page inside the article. Tuned, so that the
    # kind the held-apart Java reference loses content on is in the tuned part; written down before it was scored.
    "AgenaRisk/api": HostSpec(
        "agenarisk.github.io", "en", "tuned", r"^docs/com/agenarisk/(?:[a-z]+/)+[A-Z][A-Za-z0-9.]+\.html$",
        r"^main$", r"^h1\.title$", base="https://agenarisk.github.io/api/", strip="docs/", spread=True,
        group="reference",
    ),
    # ... and a Javadoc reference in the older (Javadoc 8) template: its 26 class pages.
    "200Puls/darksky-forecast-api": HostSpec(
        "200puls.github.io", "en", "tuned", r"^docs/tk/plogitech/(?:[a-z]+/)+[A-Z][A-Za-z0-9.]+\.html$",
        r"^div\.(?:header|contentContainer)$", r"^$", base="https://200puls.github.io/darksky-forecast-api/",
        strip="docs/", group="reference",
    ),
    # Fifth round (issue 26, kinds not yet covered): a MkDocs (Material) notebook of programming notes, its sidebar's
    # sections and each page's table of contents beside the article. Held apart, written down before it was scored.
    "abhaydgarg/Notebook": HostSpec(
        "abhaydgarg.github.io", "en", "heldapart", r"^docs/[^/]+/[^/]+/index\.html$", r"^article\.md-content__inner\b",
        r"^$", base="https://abhaydgarg.github.io/Notebook/", strip="docs/", spread=True, group="kinds",
    ),
    # Seventh round (issue 26, the kinds the held-apart hosts lose content on and the tuned part lacked: product sheets
    # and recipes in French). Both tuned, in group "catalogues", written down before either was scored.
    # A brewery's site: its beers' published brewing sheets (a spec table on each: "Alcool", "Densité Initiale",
    # "Couleur (EBC)", "EMPÂTAGE", "Céréales", "Houblons", ... with the beer's values), all twenty, then its news posts.
    "vieuxsinge/website": HostSpec(
        "www.vieuxsinge.com", "fr", "tuned", r"^(?:recettes/(?!index)[^/]+|(?!index|blog|magasin|manifeste|histoire"
        r"|points-de-vente|brasseries-par-departement|ou-nous-trouver|tireuses|commandes-groupees|scop)[^/]+)\.html$",
        r"^div\.wrapper\.style1$", r"^header\.article$",
        # the post's date, the link back to the list of sheets, the template's note on how to use a sheet (the same
        # words on every sheet) and the site's contact footer, which unclosed tags put inside the column on some sheets
        not_content=r"^(?:p\.date|p\.info|section\.inverse#contact)$",
        junk_text=r"^(?:Voir les autres recettes|(?:\d\d? )?(?:janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)"
        r"[a-zéû]*\.? \d{4})$",
        ref="gh-pages", first=r"^recettes/", spread=True, group="catalogues",
    ),
    # A dietitian's recipe site (Hugo, built from a WordPress export): "ingrédients pour N personnes", the ingredients
    # (some, such as "sel, poivre", on many recipes), the steps and a "nutrition :" note; a sidebar of categories.
    "defrance-maud/defrance-maud.github.io": HostSpec(
        "diet-blain.net", "fr", "tuned", r"^docs/recettes/\d{4}/\d\d/[^/]+/index\.html$", r"^div\.post-content\b",
        r"^h1\.post-title\b", strip="docs/", spread=True, group="catalogues",
    ),
    # A gluten-free cooking site (generated static pages): recipes whose sections repeat "Ingrédients :" and
    # "Préparation :" over lists, each with its own questions and answers under "Questions fréquentes"; a promotion
    # bar, related cards, testimonials and a newsletter box around them.
    "Leclubsansgluten/Leclubsansgluten": HostSpec(
        "leclubsansgluten.com", "fr", "tuned", r"^recettes/(?!index)[^/]+\.html$",
        r"^div\.(?:article-body|faq-block)$", r"^h1\.article-title$", spread=True, group="catalogues",
    ),
    # ... and, held apart so that a third of the hosts stays held apart, a German recipe site (Hugo): a "Steckbrief"
    # (the dish's profile), "Zutaten" and "Los geht's" on every recipe; its 21 recipes. Written down before it was
    # scored; labelled from its containers, its lines not read.
    "1c3t3a/martin-kocht": HostSpec(
        "cmbtea.github.io", "de", "heldapart", r"^rezepte/(?!index)[^/]+/index\.html$", r"^article\.post__content$",
        r"^h1#post__title$", base="https://cmbtea.github.io/martin-kocht/", group="catalogues",
    ),
}


def git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", git_dir, *args], capture_output=True, check=True).stdout


def labelled(page: bytes, spec: HostSpec) -> list[tuple[str, str]]:
    content, title, skip = re.compile(spec.content), re.compile(spec.title), re.compile(spec.not_content)
    junk = re.compile(spec.junk_text)
    out = []
    for block in naive_blocks(page):
        inside = any(content.search(p) for p in block.path) and not any(skip.search(p) for p in block.path)
        headline = any(title.search(p) for p in block.path)
        keep = (inside or headline) and not junk.search(block.text)
        out.append(("C" if keep else "J", block.text))
    return out


def build(repo: str, git_dir: str, most: int) -> Path:
    spec = SPECS[repo]
    commit = git(git_dir, "rev-parse", spec.ref).decode().strip()
    paths = sorted(p for p in git(git_dir, "ls-tree", "-r", "--name-only", commit).decode().splitlines()
                   if re.search(spec.pages, p))
    first = [p for p in paths if re.search(spec.first, p)]
    paths = [p for p in paths if p not in first]
    rest = most - len(first)
    if spec.spread and rest > 0 and len(paths) > rest:
        # Every k-th page, k chosen so the pages reach the end of the list (pages without an article are
        # skipped below, so a dump may have fewer than ``most``).
        paths = paths[::len(paths) // rest]
    paths = first + paths
    lines = [f"# source: {repo}, commit {commit}", f"# host: {spec.host}", f"# lang: {spec.lang}"]
    if spec.group:
        lines.append(f"# group: {spec.group}")
    base = spec.base or f"https://{spec.host}/"
    taken = 0
    for path in paths:
        if taken >= most:
            break
        page = labelled(git(git_dir, "show", f"{commit}:{path}"), spec)
        if not any(label == "C" for label, _ in page):
            continue  # not an article page of the site (an index, a tag list)
        taken += 1
        url = base + path.removeprefix(spec.strip).removesuffix("index.html").replace(" ", "%20")
        lines.append(f"== {url}")
        lines.extend(f"{label}\t{text}" for label, text in page)
    target = HERE / spec.part / f"{spec.host}.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{target}: {taken} pages from {len(paths)} candidates")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", choices=sorted(SPECS))
    parser.add_argument("git_dir")
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    build(args.repo, args.git_dir, args.pages)


if __name__ == "__main__":
    main()
