"""Structural detectors (cleaner.core.structure): the article's span, page intent, related runs, language.

Small constructed documents in several languages, each with exactly what must remain.
"""

from __future__ import annotations

import pytest

import cleaner
from cleaner.cli import main
from cleaner.core.errors import RuleError
from cleaner.core.rules import RuleFile, RuleSet, parse_rule_file
from cleaner.core.structure import MAIN_SPAN, PAGE_INTENT, RELATED_RUN, StructureSettings

NEWS = """Morning Edition
Home
World
Business
Town opens a new library after three years of building
The new library on Mill Street opened its doors on Saturday, and hundreds of residents queued in the rain to see it.
It holds more than forty thousand books, a music room and a workshop where children can learn to repair bicycles.
The building was paid for by a local fund that collected small gifts from families over a period of ten years.
The mayor said the town had waited a long time for a place where people of every age could meet and read.
Opening hours are from nine in the morning until eight in the evening on every day of the week except Sunday.
Contact us
Privacy
Terms of use
Careers
Sitemap
"""
NEWS_BODY = NEWS.split("\n")[5:12]


#: The span detector is off in the built-in rules (rules/structure.toml): these tests switch it on, as a user does.
#: Their articles are five paragraphs long, below the built-in min_span_weight, their margins are counted at two
#: lines, and their menus are shorter than the teasers beside them (the furniture test would keep them all): the
#: span's mechanics are tested at MECHANICS, the guards at the built-in settings (GUARDED).
MECHANICS = "min_span_weight = 4.0\nmargin = 2\nmin_furniture_share = 0.0\n"
SWITCH_ON = "[detector.main_span]\nenabled = true\n" + MECHANICS
GUARDED = "[detector.main_span]\nenabled = true\n"


@pytest.fixture(scope="module")
def structural(tmp_path_factory) -> cleaner.Cleaner:
    path = tmp_path_factory.mktemp("rules") / "on.toml"
    path.write_text(SWITCH_ON, encoding="utf-8")
    return cleaner.Cleaner([path])


def _struct_removals(cleaned) -> list[tuple[str, str]]:
    return [(r.rule_id, r.text) for r in cleaned.removals if r.rule_id.startswith("struct:")]


def test_lines_outside_the_span_go_the_headline_and_a_margin_stay(structural) -> None:
    cleaned = structural.process(NEWS)
    main_record, = cleaned.records
    assert main_record.title == "Town opens a new library after three years of building"
    assert main_record.text.split("\n") == NEWS_BODY  # the body, then a margin of two lines
    assert main_record.language == "en"
    removed = ("Morning Edition", "Home", "World", "Business", "Terms of use", "Careers", "Sitemap")
    assert _struct_removals(cleaned) == [(MAIN_SPAN, line) for line in removed]
    evidence, = cleaned.evidence
    assert (evidence.detector, evidence.first, evidence.last) == (MAIN_SPAN, 6, 10)
    assert evidence.message == "7 line(s) outside the main span (lines 6-10, prose weight 5.0)"


CHINESE = """首页
新闻
体育
财经
登录
城市图书馆周末正式开放
新图书馆位于河边大道，周六上午开门迎客，数百名市民冒雨排队参观。
馆内藏书超过四万册，还设有音乐室和一个可以让孩子们学习修理自行车的工作坊。
这座建筑的资金来自一个地方基金，十年来一直向家庭募集小额捐款。
市长表示，全市居民等了很久，终于有了一个不同年龄的人都可以见面和阅读的地方。
开放时间为每天上午九点到晚上八点，周日除外。
关于我们
联系我们
隐私政策
"""


def test_a_chinese_article_is_measured_in_characters(structural) -> None:
    cleaned = structural.process(CHINESE)
    main_record, = cleaned.records
    assert main_record.language == "zh"
    assert main_record.title == "城市图书馆周末正式开放"
    assert main_record.text.split("\n") == CHINESE.split("\n")[6:13]
    removed = ("首页", "新闻", "体育", "财经", "登录", "隐私政策")
    assert _struct_removals(cleaned) == [(MAIN_SPAN, line) for line in removed]


GERMAN = """Startseite
Politik
Sport
Die Stadt eröffnet nach drei Jahren Bauzeit eine neue Bibliothek
Die neue Bibliothek in der Mühlenstraße hat am Samstag geöffnet und Hunderte von Menschen standen dort im Regen an
Sie bietet mehr als vierzigtausend Bücher, einen Musikraum und eine Werkstatt, in der Kinder Fahrräder reparieren.
Das Gebäude wurde von einer Stiftung bezahlt, die über zehn Jahre kleine Spenden von Familien gesammelt hat.
Der Bürgermeister sagte, die Stadt habe lange auf einen Ort gewartet, an dem sich Menschen jeden Alters treffen können.
Impressum
Datenschutz
Kontakt
"""


def test_a_line_without_a_sentence_mark_is_prose_by_its_stop_words(structural) -> None:
    cleaned = structural.process(GERMAN)
    main_record, = cleaned.records
    assert main_record.language == "de"
    # The first body line ends without a mark: German stop words make it prose, so it starts the span.
    assert main_record.text.split("\n") == GERMAN.split("\n")[4:10]
    assert _struct_removals(cleaned) == [(MAIN_SPAN, "Startseite"), (MAIN_SPAN, "Politik"), (MAIN_SPAN, "Sport"),
                                         (MAIN_SPAN, "Kontakt")]


@pytest.mark.parametrize(("text", "code"), [
    ("東京の新しい図書館は土曜日に開館し、雨の中で数百人の市民が列を作りました。"
     "館内には四万冊以上の本があります。", "ja"),
    ("새 도서관은 토요일에 문을 열었고 수백 명의 시민들이 비를 맞으며 줄을 섰습니다. "
     "도서관에는 책이 사만 권 넘게 있습니다.", "ko"),
    ("ห้องสมุดแห่งใหม่เปิดให้บริการเมื่อวันเสาร์ และมีประชาชนหลายร้อยคนต่อแถวรอเข้าชมท่ามกลางสายฝน", "th"),
    ("Новая библиотека открылась в субботу, и сотни жителей стояли в очереди под дождём, чтобы её увидеть.", "ru"),
    ("افتتحت المكتبة الجديدة أبوابها يوم السبت، ووقف مئات السكان في طابور تحت المطر لرؤيتها.", "ar"),
])
def test_every_record_carries_the_document_language(cleaner_builtin, text: str, code: str) -> None:
    records = cleaner_builtin.clean("Title line\n" + text)
    assert [r.language for r in records] == [code]


def test_too_short_to_tell_is_undetermined(cleaner_builtin) -> None:
    assert [r.language for r in cleaner_builtin.clean("ok\n42")] == ["und"]


LISTING = """Used bicycles for sale in our town
Browse the bicycles our members are selling this week. Every listing is checked by a volunteer before it goes online.
Prices include a basic service and a new chain, and every bicycle comes with a lock and a pair of lights.
Delivery inside the town is free for every order placed before the end of the month, and we collect old bicycles too.
Sellers keep the money from every sale, and the club takes no fee for the listing or for the service of a bicycle.
City bike, three gears
$120
Posted 2024-03-02
Racing bike, aluminium frame
$340
Posted 2024-03-04
Child's bike with stabilisers
$45
Posted 2024-03-05
Folding bike, barely used
$210
Posted 2024-03-07
Cargo bike with a wooden box
$890
Posted 2024-03-09
"""


def test_a_listing_page_is_kept_whole(structural) -> None:
    cleaned = structural.process(LISTING)
    main_record, = cleaned.records
    assert main_record.title == "Used bicycles for sale in our town"
    assert main_record.text == LISTING.strip().split("\n", 1)[1]
    assert cleaned.removals == ()
    evidence, = cleaned.evidence
    assert evidence.detector == PAGE_INTENT
    assert evidence.message.startswith("listing page (10 of ")


FORUM = """Which tyres for winter commuting?
Posted by riverrider
I ride twelve kilometres to work every day and the roads here get icy from December until March, so I need tyres.
Has anyone tried studded tyres on a hybrid bike, and are they worth the extra weight and noise on dry days?
Reply
Quote
Posted by greenwheel
I have used studded tyres for three winters now and they changed everything for me on the icy mornings.
They are noisy on dry asphalt, but the grip on ice is worth it, and they last longer than you would expect.
Reply
Quote
Posted by marta_k
I switched to a wider tyre with a soft compound instead, which works well on snow but not on black ice.
If your route has a lot of ice, go with studs, and lower the pressure a little for better grip.
Reply
Quote
"""


def test_a_forum_thread_is_kept(structural) -> None:
    cleaned = structural.process(FORUM)
    main_record, = cleaned.records
    assert main_record.text == FORUM.strip().split("\n", 1)[1]
    assert _struct_removals(cleaned) == []
    assert [e.detector for e in cleaned.evidence] == [PAGE_INTENT]
    assert cleaned.evidence[0].message.startswith("forum page")


RELATED = """Home
Local
Town opens a new library after three years of building
The new library on Mill Street opened its doors on Saturday, and hundreds of residents queued in the rain to see it.
It holds more than forty thousand books, a music room and a workshop where children can learn to repair bicycles.
The building was paid for by a local fund that collected small gifts from families over a period of ten years.
The mayor said the town had waited a long time for a place where people of every age could meet and read.

Newsletter
Privacy

Farmers market moves to the old railway station
March 3, 2024
Swimming pool closes for repairs over the summer
March 2, 2024
New bus line links the hospital with the harbour
March 1, 2024
"""


def test_a_run_of_titles_after_the_article_becomes_related_records(structural) -> None:
    cleaned = structural.process(RELATED)
    main_record, *related = cleaned.records
    assert main_record.text.split("\n")[-2:] == ["Newsletter", "Privacy"]  # the margin
    assert [(r.record_index, r.kind, r.title, r.text, r.language) for r in related] == [
        (1, "related", "Farmers market moves to the old railway station", "March 3, 2024", "en"),
        (2, "related", "Swimming pool closes for repairs over the summer", "March 2, 2024", "en"),
        (3, "related", "New bus line links the hospital with the harbour", "March 1, 2024", "en"),
    ]
    assert _struct_removals(cleaned) == [(MAIN_SPAN, "Home"), (MAIN_SPAN, "Local")]
    assert [e.detector for e in cleaned.evidence] == [RELATED_RUN, MAIN_SPAN]


def test_a_site_link_list_after_the_article_is_no_related_block(structural) -> None:
    text = NEWS.replace("Contact us\nPrivacy\n", "Contact us\nPrivacy\n\nAbout\nJobs\nPress\nHelp\nShop\n")
    cleaned = structural.process(text)
    assert [r.kind for r in cleaned.records] == ["main"]
    assert {"About", "Jobs", "Press", "Help", "Shop"} <= {t for _, t in _struct_removals(cleaned)}


def test_a_document_with_little_prose_is_left_alone(structural) -> None:
    text = "Opening hours\nMonday\nTuesday\nThe library opens at nine in the morning on weekdays.\nContact\n"
    cleaned = structural.process(text)
    assert cleaned.records[0].text == text.strip().split("\n", 1)[1]
    assert cleaned.evidence[0].message.startswith("low prose (1 prose lines")


def test_quoted_dialogue_and_lists_next_to_the_span_stay(structural) -> None:
    text = NEWS.replace("Contact us\n", "- a music room\n- a bicycle workshop\n- a reading garden\n"
                                       "“We waited long enough,” said one reader\nContact us\n")
    record = structural.clean(text)[0]
    assert record.text.split("\n")[5:11] == ["- a music room", "- a bicycle workshop", "- a reading garden",
                                             "“We waited long enough,” said one reader", "Contact us", "Privacy"]


def test_the_span_detector_is_off_in_the_built_in_rules(cleaner_builtin) -> None:
    assert not cleaner_builtin.rules.structure.main_span.enabled
    cleaned = cleaner_builtin.process(NEWS)
    assert _struct_removals(cleaned) == []
    assert cleaned.evidence == ()
    assert cleaned.records[0].language == "en"


@pytest.mark.parametrize("disable", [MAIN_SPAN, MAIN_SPAN.upper()])
def test_a_detector_is_switched_off_by_its_id(structural, disable: str) -> None:
    off = cleaner.Cleaner(structural.rules, disable=[disable])
    cleaned = off.process(NEWS)
    assert _struct_removals(cleaned) == []
    assert cleaned.records[0].title == "Morning Edition"
    assert cleaned.records[0].language == "en"  # the language does not depend on the detectors


def test_a_later_rule_file_overrides_settings_and_switches_off(tmp_path) -> None:
    override = tmp_path / "mine.toml"
    override.write_text(GUARDED + "margin = 0\nmin_span_weight = 4.0\nmin_furniture_share = 0.0\n\n"
                        "[detector.related_run]\nenabled = false\n", encoding="utf-8")
    tuned = cleaner.Cleaner([override])
    assert tuned.rules.structure.main_span.margin == 0
    assert tuned.rules.structure.main_span.line_penalty == 0.15  # from the built-in file
    assert not tuned.rules.structure.related_run.enabled
    cleaned = tuned.process(RELATED)
    assert [r.kind for r in cleaned.records] == ["main"]
    assert "Newsletter" in {t for _, t in _struct_removals(cleaned)}


def test_without_detector_tables_the_detectors_are_off() -> None:
    ruleset = RuleSet((RuleFile("none", "none", "", ()),))
    assert ruleset.structure == StructureSettings()
    assert not ruleset.structure.main_span.enabled


@pytest.mark.parametrize(("text", "line", "message"), [
    ("[detector.main_spam]\nmargin = 1\n", 1, "unknown detector 'main_spam'"),
    ("[detector.main_span]\n\nmarginn = 1\n", 1, "unknown field(s) in [detector.main_span]: marginn"),
    ("[detector.main_span]\nenabled = true\nmargin = 'two'\n", 3,
     "margin must be a whole number (0 or more), got 'two'"),
    ("[detector.main_span]\nline_penalty = -1\n", 2, "line_penalty must be a number (0 or more), got -1"),
    ("[detector.page_intent]\nenabled = 1\n", 2, "enabled must be true or false, got 1"),
])
def test_detector_settings_are_checked_with_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule_file(text, "mine.toml")
    assert caught.value.line == line
    assert message in caught.value.reason


def test_disabling_an_unknown_detector_is_an_error() -> None:
    with pytest.raises(RuleError, match="STRUCT:NO-SUCH-DETECTOR"):
        cleaner.Cleaner(disable=["struct:no-such-detector"])


def test_explain_shows_structural_removals_with_their_evidence(tmp_path, capsys) -> None:
    source = tmp_path / "news.txt"
    source.write_text(NEWS, encoding="utf-8")
    switch = tmp_path / "on.toml"
    switch.write_text(SWITCH_ON, encoding="utf-8")
    assert main(["explain", str(source), "--rules", str(switch)]) == 0
    out = capsys.readouterr().out
    assert "record(s), 7 removal(s), language en" in out
    assert f"detector {MAIN_SPAN} lines 6-10: 7 line(s) outside the main span (lines 6-10, prose weight 5.0)" in out
    assert f"removed by {MAIN_SPAN} (a line outside the article's main span of prose" in out


# --- reaching out, teaser lists, recipes, run headers, wrapped text, a given language -----------------------

#: An audio player and a picture between the standfirst and the body: more lines than the span's own cost
#: lets it cross, few enough for it to reach out over at the lower cost.
PLAYER = ["0.5x", "0.75x", "1.0x", "1.25x", "1.5x", "1.75x", "2.0x", "00:00", "03:12", "Photo: Town archive",
          "Open image in full screen", *(f"Chapter {n}" for n in range(1, 11))]
STANDFIRST = """Morning Edition
Home
World
Town opens a new library after three years of building
The library on Mill Street opened on Saturday after three years of building work.
Hundreds of residents queued in the rain to be the first ones inside.
{player}
It holds more than forty thousand books, a music room and a workshop where children can learn to repair bicycles.
The building was paid for by a local fund that collected small gifts from families over a period of ten years.
The mayor said the town had waited a long time for a place where people of every age could meet and read.
Opening hours are from nine in the morning until eight in the evening on every day of the week except Sunday.
Contact us
Privacy
Terms of use
Careers
Sitemap
""".replace("{player}", "\n".join(PLAYER))


def test_the_span_reaches_the_standfirst_above_a_media_player(structural) -> None:
    cleaned = structural.process(STANDFIRST)
    main_record, = cleaned.records
    assert main_record.title == "Town opens a new library after three years of building"
    lines = main_record.text.split("\n")
    assert lines[:2] == ["The library on Mill Street opened on Saturday after three years of building work.",
                         "Hundreds of residents queued in the rain to be the first ones inside."]
    assert lines[2:2 + len(PLAYER)] == PLAYER  # what lies between stays: when in doubt, keep
    assert [t for _, t in _struct_removals(cleaned)] == ["Morning Edition", "Home", "World", "Terms of use",
                                                         "Careers", "Sitemap"]
    assert cleaned.evidence[0].message == ("6 line(s) outside the main span (lines 28-31, prose weight 4.0; "
                                           "reaching out to lines 5-31)")


def test_a_site_directory_of_blurbs_is_not_taken_for_the_article(structural, tmp_path) -> None:
    directory = "\n".join(f"{name}\n{name} is the town's {what}, open to everyone who lives here."
                          for name, what in [("Library", "library"), ("Pool", "swimming pool"),
                                             ("Museum", "museum of local history"), ("Market", "weekly market"),
                                             ("Theatre", "small theatre"), ("Park", "largest park"),
                                             ("Archive", "public archive"), ("Harbour", "old harbour")])
    text = NEWS.replace("Contact us\n", "Contact us\n" + "\n".join(f"Link {n}" for n in range(12)) + "\n"
                        + directory + "\n")
    cleaned = structural.process(text)
    # Eight blurbs, each alone under its name, weigh less than the article's five paragraphs in a row: the
    # article is the span (the directory below it is kept only as far as the span reaches out).
    assert cleaned.records[0].text.split("\n")[:5] == NEWS_BODY[:5]
    assert cleaned.evidence[0].message.startswith("6 line(s) outside the main span (lines 6-10, prose weight 5.0;")
    # Weighed as paragraphs, the blurbs would outweigh the article.
    flat = tmp_path / "flat.toml"
    flat.write_text(SWITCH_ON + "isolated_prose_weight = 1.0\n", encoding="utf-8")
    evidence = cleaner.Cleaner([flat]).process(text).evidence
    assert not evidence[0].message.startswith("6 line(s) outside the main span (lines 6-10,")


RECIPE = """Home
Recipes
Desserts
Apple crumble with oats and cinnamon
A warm apple crumble is the easiest pudding there is, and it tastes of autumn.
Ingredients
4 apples
100 g flour
75 g butter
50 g sugar
1 tsp cinnamon
Method
Heat the oven to 180 degrees and butter a small baking dish, about twenty centimetres across.
Peel and slice the apples thinly, toss them with the cinnamon and lay them in the dish.
Rub the flour, butter and sugar together until it looks like breadcrumbs.
Scatter the crumble over the apples and bake for forty minutes until golden.
Rate this recipe
Print
Newsletter
About us
Contact
Privacy
Cookie settings
Jobs
"""


def test_a_recipe_keeps_its_ingredients_with_the_method(structural) -> None:
    cleaned = structural.process(RECIPE)
    main_record, = cleaned.records
    assert main_record.title == "Apple crumble with oats and cinnamon"
    lines = RECIPE.strip().split("\n")
    assert main_record.text.split("\n") == lines[4:18]  # the standfirst to the method and a margin of two
    assert [t for _, t in _struct_removals(cleaned)] == ["Home", "Recipes", "Desserts", "Newsletter", "About us",
                                                         "Contact", "Jobs"]  # the rules take the rest
    assert cleaned.evidence[0].detector == PAGE_INTENT
    assert cleaned.evidence[0].message == ("recipe or product page (5 short lines start or end with a "
                                           "quantity): its quantity lines count as prose")


def test_a_product_page_of_prices_is_kept_whole(structural) -> None:
    # Offers with prices beside many reviews: too much prose for a listing, too many prices for an article.
    offers = "\n".join(f"Shop {n}\n€ {100 + n},99" for n in range(16))
    reviews = "\n".join(f"Review {n}: the bike rode well on the forest trails and the brakes held on the descent."
                        for n in range(34))
    text = f"Trail bike TX-20, 29 inch\n{offers}\n{reviews}"
    cleaned = structural.process(text)
    assert cleaned.records[0].text == text.split("\n", 1)[1]
    assert cleaned.evidence[0].message == "product page (16 short lines hold a price): the span detector stands down"


def test_a_run_header_and_wrapped_sentences_make_no_records(structural) -> None:
    text = RELATED.replace("Farmers market", "Picked for you\nFarmers market")
    related = [r.title for r in structural.clean(text)[1:]]
    assert related == ["Farmers market moves to the old railway station",
                       "Swimming pool closes for repairs over the summer",
                       "New bus line links the hospital with the harbour"]
    wrapped = NEWS.replace("Contact us\n", "Contact us\n\nThe new library will also host a reading club\n"
                           "for children every Saturday morning, and the\nstaff hope to add evening classes"
                           " for adults in\nthe autumn, the council said on Monday\n")
    assert [r.kind for r in structural.clean(wrapped)] == ["main"]


def test_a_given_language_is_used_and_not_identified(cleaner_builtin) -> None:
    record, = cleaner_builtin.clean(NEWS, language="en")
    assert record.language == "en"
    record, = cleaner_builtin.clean(NEWS, language="DE ")
    assert record.language == "de"  # the caller's word, normalised: the identifier is not asked
    with pytest.raises(ValueError, match="ISO 639-1"):
        cleaner_builtin.clean(NEWS, language="")


@pytest.mark.parametrize(("line", "amount"), [
    ("100 g flour", True), ("Philadelphia 125 g", True), ("2 ss honning", True), ("Tortilla 2 ks", True),
    ("3. Liga", False), ("24. jul.", False), ("1 of 12", False), ("1/14 06:01", False), ("6390 comments 6390", False),
    ("Sport Prieš 8 min.", False), ("10分前 日韓外相が会談", False),
])
def test_what_counts_as_an_amount_on_a_recipe_or_product_page(line: str, amount: bool) -> None:
    from cleaner.core.structure import _quantity
    assert _quantity(line) is amount


def test_a_reading_time_line_goes_with_the_title_above_it(structural) -> None:
    text = RELATED.replace("March 2, 2024", "Local news · Sep 20 · 3 mins read")
    related = [(r.title, r.text) for r in structural.clean(text)[1:]]
    assert related[1] == ("Swimming pool closes for repairs over the summer", "Local news · Sep 20 · 3 mins read")
    assert len(related) == 3


#: A recipe whose name is too short to be title-shaped, over a head of rating and times longer than an article's.
SHORT_NAME = """Home
Recipes
Soups
Newsletter
Leek soup
Rated by our readers
Easy
Vegetarian
Winter
Jump to recipe
Pin it
Print
Leek soup is what this kitchen makes every week in winter, thick and green and cheap.
Ingredients
3 leeks
2 potatoes
1 l stock
30 g butter
Method
Melt the butter in a large pot and soften the sliced leeks in it for ten minutes.
Add the diced potatoes and the stock, and simmer for twenty minutes until soft.
Blend the soup until smooth and season it with salt and pepper before serving.
Serve it hot with brown bread and a little grated cheese, or keep it in the fridge for three days.
More soups
About us
Contact
Privacy
Jobs
"""


def test_a_short_recipe_name_is_found_by_the_words_that_open_the_recipe(structural) -> None:
    cleaned = structural.process(SHORT_NAME)
    main_record, = cleaned.records
    lines = SHORT_NAME.strip().split("\n")
    # The name (two words: no title-shaped line) recurs in the first sentence: it heads the record, and the
    # recipe's head down to the first paragraph stays; the menu above it goes.
    assert main_record.title == "Leek soup"
    assert main_record.text.split("\n") == [line for line in lines[5:25] if line != "Pin it"]  # (a share rule's)
    assert [t for _, t in _struct_removals(cleaned)] == ["Home", "Recipes", "Soups", "Newsletter", "Contact",
                                                         "Privacy", "Jobs"]  # (a margin of two lines stays)
    named = [e for e in cleaned.evidence if e.message.startswith("headline: its words open the article")]
    assert [(e.detector, e.first) for e in named] == [(MAIN_SPAN, 5)]


def test_without_the_name_test_a_short_recipe_name_is_lost(tmp_path) -> None:
    # The same page with the test switched off (headline_overlap = 0), and the title the article keeps naming
    # (title_mentions = 0, which would keep the name too): the name is removed with the menu.
    path = tmp_path / "off.toml"
    path.write_text(SWITCH_ON + "headline_overlap = 0.0\ntitle_mentions = 0\n", encoding="utf-8")
    cleaned = cleaner.Cleaner([path]).process(SHORT_NAME)
    assert "Leek soup" in [t for _, t in _struct_removals(cleaned)]


def test_a_dateline_over_a_section_line_and_the_headline_stays(structural) -> None:
    # "18.05.2026", a section link, then the headline: the date belongs to the article's head (dateline_reach).
    text = NEWS.replace("Business\n", "Business\n18.05.2026\nFocus: libraries\n")
    lines = text.split("\n")
    cleaned = structural.process(text)
    main_record, = cleaned.records
    assert main_record.title == "18.05.2026"
    assert main_record.text.split("\n")[:2] == ["Focus: libraries", lines[6]]
    assert [t for _, t in _struct_removals(cleaned)][:4] == ["Morning Edition", "Home", "World", "Business"]


# --- guards of the built-in settings (GUARDED): when in doubt, keep -------------------------------------------

ARTICLE = [
    "The new library on Mill Street opened its doors on Saturday, and hundreds of residents queued in the rain.",
    "It holds more than forty thousand books, a music room and a workshop where children can repair bicycles.",
    "The building was paid for by a local fund that collected small gifts from families over ten years.",
    "The mayor said the town had waited a long time for a place where people of every age could meet.",
    "Opening hours are from nine in the morning until eight in the evening on every day but Sunday.",
    "A café on the ground floor is run by volunteers, and its profits buy new books for the children's room.",
    "The architects kept the old brick front of the warehouse that stood on the site for a hundred years.",
    "Solar panels on the roof give the building most of the power it needs during the summer months.",
    "Readers can borrow up to twelve books at a time and return them at any of the town's three branches.",
]
MENU = ["Home", "World", "Business", "Sport", "Culture", "Weather"]
FOOTER = ["Contact us", "Privacy", "Terms of use", "Careers", "Sitemap", "Cookies"]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> cleaner.Cleaner:
    path = tmp_path_factory.mktemp("rules") / "guarded.toml"
    path.write_text(GUARDED, encoding="utf-8")
    return cleaner.Cleaner([path])


def _kept(cleaned) -> list[str]:
    return cleaned.records[0].text.split("\n")


#: More of a site's menu: a whole page has more furniture than paragraphs (max_prose_share).
MORE_MENU = ["Science", "Travel", "Food", "Opinion", "Video", "Podcasts"]


def test_the_built_in_guards_still_remove_a_page_s_furniture(guarded) -> None:
    text = "\n".join([*MENU, *MORE_MENU, "Town opens a new library after three years of building", *ARTICLE, *FOOTER])
    cleaned = guarded.process(text)
    assert cleaned.records[0].title == "Town opens a new library after three years of building"
    assert _kept(cleaned) == ARTICLE + FOOTER[:4]  # a margin of four lines
    assert [t for _, t in _struct_removals(cleaned)] == MENU + MORE_MENU + FOOTER[4:]


def test_a_text_of_paragraphs_is_an_extracted_article_and_stays_whole(guarded) -> None:
    # The same article with a short menu and footer: 9 of its 22 lines are paragraphs (at least max_prose_share,
    # 0.4), so it reads as a text already extracted, whose short lines are its own: nothing is removed.
    text = "\n".join([*MENU, "Town opens a new library after three years of building", *ARTICLE, *FOOTER])
    cleaned = guarded.process(text)
    assert _struct_removals(cleaned) == []
    assert any(e.detector == MAIN_SPAN and e.message == "9 of 22 lines are prose (an extracted text, not a whole "
               "page): nothing removed" for e in cleaned.evidence)


@pytest.mark.parametrize("wrapped_lines", [True, False])
def test_a_paragraph_broken_at_the_source_s_line_ends_is_kept(tmp_path, wrapped_lines: bool) -> None:
    # A dump that keeps the page source's line ends breaks a paragraph into lines that are no prose one by one
    # (no sentence mark, or too few words). Past the margin, they are read as one paragraph the span reaches.
    path = tmp_path / "wrapped.toml"
    path.write_text(GUARDED + f"wrapped_lines = {str(wrapped_lines).lower()}\n", encoding="utf-8")
    days = ["Opening hours", "Monday", "Tuesday", "Wednesday", "Thursday"]
    wrapped = ["The reading room stays open until ten in the evening during", "exam weeks, and the café serves",
               "hot meals from noon."]
    text = "\n".join([*MENU, *MORE_MENU, "Town opens a new library after three years of building", *ARTICLE, *days,
                      *wrapped, *FOOTER])
    cleaned = cleaner.Cleaner([path]).process(text)
    removed = [t for _, t in _struct_removals(cleaned)]
    assert (set(wrapped) <= set(_kept(cleaned))) is wrapped_lines
    assert (set(wrapped) <= set(removed)) is not wrapped_lines
    assert "Home" in removed  # the menu goes either way


def test_lines_outside_that_read_as_text_make_the_span_stand_down(guarded) -> None:
    # Documentation-like: what lies outside the article is headings and list items of several words each,
    # not a menu's short lines. Too few of them are furniture-short: nothing is removed.
    notes = ["Install the reader app on a phone", "Scan the code on the back of the card",
             "Choose a branch to collect from", "Renew a loan from the account page",
             "Ask a librarian about interlibrary loans", "Print at the desk",
             "Book a workshop place for a child", "Return books at any of the branches"]
    notes += ["Join the reading club on Thursdays", "Suggest a book for the library to buy"]  # (fewer paragraphs
    # than max_prose_share of the lines: no extracted text)
    text = "\n".join([*MENU[:2], "Town opens a new library after three years of building", *ARTICLE, "Contact",
                      *notes])
    cleaned = guarded.process(text)
    assert _struct_removals(cleaned) == []
    low, = [e for e in cleaned.evidence if e.message.startswith("low confidence")]
    assert low.detector == MAIN_SPAN
    # Outside the span and its margin of four: the menu's two lines and seven of the notes.
    assert low.message.endswith("2 of the 9 lines outside the span (lines 4-12) have at most 3 words: nothing removed")


def test_code_outside_that_outweighs_the_article_makes_the_span_stand_down(guarded) -> None:
    code = [f"config_{n} = load_settings(path='/etc/library/branch_{n}.toml', strict=True, retries={n})" * 3
            for n in range(6)]
    text = "\n".join([*MENU, "Town opens a new library after three years of building", *ARTICLE, *FOOTER, *code,
                      *MENU, *FOOTER])
    cleaned = guarded.process(text)
    assert _struct_removals(cleaned) == []
    assert any(e.message.startswith("low confidence: the lines of at least 60 characters") for e in cleaned.evidence)


def test_a_long_line_that_is_no_prose_stays(guarded) -> None:
    spec = "meta: id: library_card title: Library card record file-extension: card license: CC0-1.0 endian: le seq:"
    text = "\n".join([*MENU, "Town opens a new library after three years of building", *ARTICLE, *FOOTER, *MENU,
                      spec, *FOOTER])
    cleaned = guarded.process(text)
    assert spec in _kept(cleaned)
    assert "Weather" in [t for _, t in _struct_removals(cleaned)]
    assert any(e.message == "1 long line(s) outside the span that are no prose (at least 100 characters): kept"
               for e in cleaned.evidence)


def test_paragraphs_the_span_did_not_reach_stay_with_their_heading(guarded) -> None:
    far = ["Branch news", "The harbour branch will close for two weeks in August while its roof is repaired.",
           "During that time its readers can collect their books at the new library on Mill Street."]
    text = "\n".join([*MENU, "Town opens a new library after three years of building", *ARTICLE, *FOOTER,
                      *(f"Section {n}" for n in range(30)), *far, *FOOTER])
    cleaned = guarded.process(text)
    kept = _kept(cleaned)
    assert kept[kept.index(far[0]):][:3] == far
    assert "Section 3" in [t for _, t in _struct_removals(cleaned)]
    assert any(e.message == "3 line(s) of paragraphs in a row (at least 2) outside the span, with their headings: "
               "kept" for e in cleaned.evidence)


def test_a_list_the_article_ends_with_runs_past_the_margin(guarded) -> None:
    items = ["Forty thousand books for adults", "A music room with two pianos", "A workshop for bicycle repairs",
             "A reading garden behind the building", "A café run by volunteers", "Three study rooms to book",
             "Free wireless internet for readers"]
    text = "\n".join([*MENU, "Town opens a new library after three years of building", *ARTICLE, *items, *FOOTER])
    cleaned = guarded.process(text)
    assert _kept(cleaned) == ARTICLE + items
    assert [t for _, t in _struct_removals(cleaned)] == MENU + FOOTER
    assert any(e.message == "the list the article ends with (lines of at least 3 words): kept"
               for e in cleaned.evidence)


RECIPE_LIST = ["- 1 clove of garlic, finely grated", "- 2 tablespoons of dark soy sauce",
               "- 4 tablespoons of bourbon whiskey", "- 18 thin slices of smoked bacon",
               "- 6 small balls of buffalo mozzarella", "- 1 teaspoon of sweet paprika powder",
               "- 12 pieces of dried tomatoes in oil", "- 3 tablespoons of runny honey",
               "- 500 grams of minced beef from the butcher", "- 1 red onion, cut in thin rings",
               "- 1 bunch of flat leaf parsley", "- a pinch of sea salt and black pepper",
               "- 2 tablespoons of olive oil for the grill"]


@pytest.mark.parametrize("attached_above", [True, False])
def test_a_list_touching_the_span_above_its_headline_stays_with_it(tmp_path, attached_above: bool) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GUARDED + f"keep_attached_above = {str(attached_above).lower()}\n", encoding="utf-8")
    text = "\n".join([*MENU, "Baby bacon bombs", "Ingredients for six balls", *RECIPE_LIST, "Method:", *ARTICLE,
                      *FOOTER])
    cleaned = cleaner.Cleaner([path]).process(text)
    removed = [t for _, t in _struct_removals(cleaned)]
    # An ingredient line is title-shaped: taken for the headline, it cut the list in two.
    assert (set(RECIPE_LIST).isdisjoint(removed)) is attached_above
    assert "Home" in removed


MODULES = ["Related modules", *(f"mod_{name}" for name in ("alias", "proxy", "rewrite", "userdir", "speling",
                                                          "vhost", "dir", "env", "mime", "log", "ssl", "http2"))]
SECTIONS = ["Document root ¶", "Other files ¶", "User folders ¶", "Redirection ¶", "Proxies ¶"]
CONTENTS = [heading.removesuffix(" ¶") for heading in SECTIONS]


@pytest.mark.parametrize("toc_entries", [3, 0])
def test_a_table_of_contents_above_the_article_stays_with_its_title(tmp_path, toc_entries: int) -> None:
    # A manual page: its title, its own contents (the section headings without their pilcrows), a table of
    # related modules, then the sections. The contents and the title are far above the first paragraph, past the
    # margin and the headline's reach.
    path = tmp_path / "rules.toml"
    path.write_text(GUARDED + f"toc_entries = {toc_entries}\n", encoding="utf-8")
    body = [line for n, heading in enumerate(SECTIONS) for line in (heading, *ARTICLE[2 * n:2 * n + 2])] + ARTICLE[-1:]
    head = ["Mapping URLs to files", "Contents", *CONTENTS, *MODULES]
    cleaned = cleaner.Cleaner([path]).process("\n".join([*MENU, *head, *body, *FOOTER]))
    removed = [t for _, t in _struct_removals(cleaned)]
    if toc_entries:
        assert removed == MENU + FOOTER[4:]
        assert any(e.message == "table of contents (5 lines repeat headings of the article): kept with the head"
                   for e in cleaned.evidence)
    else:
        assert set(head[:7]) <= set(removed)


def test_a_menu_printed_twice_is_no_table_of_contents(guarded) -> None:
    # The same section names above the article and again after the page's footer: no prose follows them there,
    # so they are no headings, and the copy above goes with the menu.
    sections = ["World news", "Local news", "Weather report", "Sport results", "Culture pages"]
    text = "\n".join([*MENU, *sections, "Town opens a new library after three years of building", *ARTICLE,
                      *FOOTER, *sections])
    cleaned = guarded.process(text)
    removed = [t for _, t in _struct_removals(cleaned)]
    assert set(MENU + sections[:2]) <= set(removed)
    assert not any(e.message.startswith("table of contents") for e in cleaned.evidence)


@pytest.mark.parametrize("keep_title_above", [True, False])
def test_a_title_the_page_prints_again_above_the_head_stays(tmp_path, keep_title_above: bool) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GUARDED + f"keep_title_above = {str(keep_title_above).lower()}\n", encoding="utf-8")
    text = "\n".join(["createdb", "Prev", "Up", "Home", "Next", *MENU, "createdb",
                      "createdb creates a new library catalogue database", *ARTICLE, *FOOTER])
    cleaned = cleaner.Cleaner([path]).process(text)
    removed = [t for _, t in _struct_removals(cleaned)]
    assert "Prev" in removed and "Weather" in removed
    # The navigation header's copy goes with it unless the title above the head is kept (then it repeats a
    # line of the head and stays too).
    assert ("createdb" not in removed) is keep_title_above


@pytest.mark.parametrize("confident_runs", [True, False])
def test_related_runs_wait_for_the_span_s_confidence(tmp_path, confident_runs: bool) -> None:
    # Code after the run of titles outweighs the article: the span stands down (max_outside_mass). With
    # confident_runs the titles stay in the main record too: moving them into records would lose them as surely.
    path = tmp_path / "runs.toml"
    path.write_text(SWITCH_ON + f"confident_runs = {str(confident_runs).lower()}\n", encoding="utf-8")
    code = [f"config_{n} = load_settings(path='/etc/library/branch_{n}.toml', strict=True, retries={n})" * 3
            for n in range(6)]
    cleaned = cleaner.Cleaner([path]).process(RELATED + "\n".join(code) + "\n")
    assert _struct_removals(cleaned) == []
    assert any(e.message.startswith("low confidence: the lines of at least 60 characters") for e in cleaned.evidence)
    titles = [r.title for r in cleaned.records if r.kind == "related"]
    assert titles == ([] if confident_runs else ["Farmers market moves to the old railway station",
                                                 "Swimming pool closes for repairs over the summer",
                                                 "New bus line links the hospital with the harbour"])


@pytest.mark.parametrize("light_span_runs", [True, False])
def test_related_runs_after_a_span_too_light_to_remove_around(tmp_path, light_span_runs: bool) -> None:
    # Four paragraphs weigh less than main_span's min_span_weight (8, built in): nothing is removed. They hold all
    # the document's prose and weigh related_run's lighter min_span_weight, so with light_span_runs the titles after
    # them still become related records (moved, not removed; a Japanese article of a few long paragraphs).
    path = tmp_path / "light.toml"
    path.write_text(GUARDED + "min_furniture_share = 0.0\n\n[detector.related_run]\nmin_span_weight = 3.0\n"
                    f"light_span_runs = {str(light_span_runs).lower()}\n", encoding="utf-8")
    cleaned = cleaner.Cleaner([path]).process(RELATED)
    assert _struct_removals(cleaned) == []
    assert any(e.message.startswith("no main span") for e in cleaned.evidence)
    titles = [r.title for r in cleaned.records if r.kind == "related"]
    assert titles == (["Farmers market moves to the old railway station",
                       "Swimming pool closes for repairs over the summer",
                       "New bus line links the hospital with the harbour"] if light_span_runs else [])
    main_lines = cleaned.records[0].text.split("\n")
    assert ("Farmers market moves to the old railway station" in main_lines) is not light_span_runs
    assert RELATED.split("\n")[3] in main_lines  # the article itself stays


FRACTIONS = RECIPE.replace("4 apples\n100 g flour\n75 g butter\n50 g sugar\n1 tsp cinnamon\n",
                           "1/2 cup flour\n1/3 cup butter\n1/4 cup sugar\n3/4 tsp cinnamon\n1 1/2 tsp salt\n")


@pytest.mark.parametrize("fractions", [True, False])
def test_a_recipe_of_fractions_is_a_recipe_with_fraction_amounts(tmp_path, fractions: bool) -> None:
    # "3/4 tsp cinnamon" reads as a counter ("3 / 10") unless fraction_amounts says a fraction and a word is an amount.
    path = tmp_path / "on.toml"
    path.write_text(SWITCH_ON + f"[detector.page_intent]\nfraction_amounts = {str(fractions).lower()}\n",
                    encoding="utf-8")
    cleaned = cleaner.Cleaner([path]).process(FRACTIONS)
    intent = [e.message for e in cleaned.evidence if e.detector == PAGE_INTENT]
    assert intent == (["recipe or product page (5 short lines start or end with a quantity): its quantity lines "
                       "count as prose"] if fractions else [])


MODULE = """Docs home
Search
Modules
Index
ladybug.dt module¶
Ladybug datetime.
class DateTime¶
Bases: datetime
Create a date and time.
Parameters:
month
day
hour
The month is a value between one and twelve, and it defaults to the first month of the year.
The day is a value between one and thirty one, and it defaults to the first day of the month.
The hour is a value between zero and twenty three, and it defaults to midnight of that day.
The minute is a value between zero and fifty nine, and it also defaults to zero when not given.
A leap year moves every date after February by one day, which this class takes into account.
Previous
Next
Copyright
"""


@pytest.mark.parametrize("anchored", [True, False])
def test_a_heading_with_a_permalink_anchor_above_the_span_stays(tmp_path, anchored: bool) -> None:
    path = tmp_path / "on.toml"
    path.write_text(SWITCH_ON + f"anchored_headings = {str(anchored).lower()}\n", encoding="utf-8")
    cleaned = cleaner.Cleaner([path]).process(MODULE)
    removed = [t for _, t in _struct_removals(cleaned)]
    assert removed[:4] == ["Docs home", "Search", "Modules", "Index"]
    kept = ("ladybug.dt module¶", "Ladybug datetime.", "class DateTime¶")
    if anchored:
        assert not set(kept) & set(removed), removed
        assert any(e.message.startswith("heading with a permalink anchor above the span") for e in cleaned.evidence)
    else:
        assert "ladybug.dt module¶" in removed  # (the module's title: two words, no headline)


LIMITS = ["Only open on weekdays before six in the evening", "No loans of music scores for the first months",
          "Children under eight years need a grown-up with them", "The workshop takes bookings by telephone only",
          "Parking behind the building is for cyclists only", "The music room closes for cleaning on Mondays",
          "Printing costs ten cents for every single page", "Groups of more than ten people must book ahead",
          "Food and drink stay in the small cafe downstairs", "The garden is closed to visitors during winter",
          "Lockers need a one euro coin that comes back", "Dogs are welcome on the ground floor only"]
#: An article whose own numbered section lists a dozen title-shaped lines, then goes on with two paragraphs.
GOES_ON = "\n".join([*RELATED.split("\n")[:7], "1. What the library does not do yet", *LIMITS, "2. What comes next",
                      "The fund will also pay for a mobile library that visits the villages around the town twice a "
                      "month.",
                      "Its board meets again in the autumn to decide which village the first visits of the new van "
                      "will go to.", "", "Newsletter", "Privacy", ""])


@pytest.mark.parametrize("inside", [1, 0])
def test_a_list_the_article_goes_on_after_is_no_related_block(tmp_path, inside: int) -> None:
    path = tmp_path / "on.toml"
    path.write_text(SWITCH_ON + f"[detector.related_run]\ninside_prose = {inside}\ninside_window = 6\n",
                    encoding="utf-8")
    records = cleaner.Cleaner([path]).process(GOES_ON).records
    if inside:
        main_record, = records  # paragraphs follow the list within six lines: it is the article's own
        assert set(LIMITS) <= set(main_record.text.split("\n"))
    else:
        assert {r.title for r in records if r.kind == "related"} >= set(LIMITS)


@pytest.mark.parametrize("announced_lines", [40, 0])
def test_the_list_the_last_paragraph_announces_stays(tmp_path, announced_lines: int) -> None:
    # A reference page ends its text with "The following ...:" and a list of one-word names, past the margin. The
    # list stays; the footer, printed twice on the page (a previous/next bar above and below), still goes.
    path = tmp_path / "announced.toml"
    path.write_text(GUARDED + f"announced_lines = {announced_lines}\n", encoding="utf-8")
    names = ["find", "sort", "unique", "lookup", "repmat", "cumsum", "reshape", "permute", "squeeze"]
    last = "Most branches lend the same kinds of items, and the following ones are lent most often of all:"
    text = "\n".join(["Next: Hours, Up: Library", *MENU, *MORE_MENU,
                      "Town opens a new library after three years of building", *ARTICLE, last, *names,
                      "Next: Hours, Up: Library", *FOOTER])
    cleaned = cleaner.Cleaner([path]).process(text)
    removed = [t for _, t in _struct_removals(cleaned)]
    assert (set(names) <= set(_kept(cleaned))) is (announced_lines > 0)
    assert (set(names[4:]) <= set(removed)) is (announced_lines == 0)
    assert "Next: Hours, Up: Library" in removed and "Cookies" in removed


@pytest.mark.parametrize("byline_title", [True, False])
def test_the_title_over_a_byline_stays_with_the_head(tmp_path, byline_title: bool) -> None:
    # A recipe site prints the name, "Submitted by: ...", then "Ingredients": the head found stops at the byline,
    # the name above it is the title.
    path = tmp_path / "byline.toml"
    path.write_text(GUARDED + f"byline_title = {str(byline_title).lower()}\n", encoding="utf-8")
    text = "\n".join([*MENU, *MORE_MENU, "Search Results", "Microwave Ghosts", "Submitted by: Aunt Gay", "Ingredients",
                      *ARTICLE, *FOOTER])
    cleaned = cleaner.Cleaner([path]).process(text)
    removed = [t for _, t in _struct_removals(cleaned)]
    kept = [cleaned.records[0].title or "", *_kept(cleaned)]
    assert ("Microwave Ghosts" in kept) is byline_title
    assert ("Microwave Ghosts" in removed) is not byline_title
    assert "Home" in removed and "Search Results" in removed


# --- a short title the article names, and runs of wrapped lines (spanloss) ----------------------------------

#: A standfirst printed as a headline (title-shaped, no prose): the head found starts at it, under the real title.
TITLE_STANDFIRST = "Forty thousand books, music rooms, bicycle workshops: Mill Street gets its long awaited library"


@pytest.mark.parametrize(("title_mentions", "kept"), [(2, True), (0, False)])
def test_a_short_title_the_article_keeps_naming_stays_above_a_standfirst(tmp_path, title_mentions: int,
                                                                          kept: bool) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(GUARDED + f"title_mentions = {title_mentions}\n", encoding="utf-8")
    text = "\n".join([*MENU, *MORE_MENU, "Library books", TITLE_STANDFIRST, *ARTICLE, *FOOTER])
    cleaned = cleaner.Cleaner([path]).process(text)
    removed = [t for _, t in _struct_removals(cleaned)]
    # "books" stands in three of the paragraphs, the second among them: the two-word title names the article.
    assert (cleaned.records[0].title == "Library books") is kept
    assert ("Library books" in removed) is not kept
    assert removed[:12] == MENU + MORE_MENU  # the menu goes either way
    assert any(e.message.startswith("title: 1 of its words stand in at least 2 of the article's prose lines")
               for e in cleaned.evidence) is kept


def test_a_line_naming_the_site_is_no_title(guarded) -> None:
    # "books" also stands in two menu lines outside the article: it names the site's sections, not the article.
    menu = [*MENU, "Books", "Books for children", *MORE_MENU]
    text = "\n".join([*menu, "Library books", TITLE_STANDFIRST, *ARTICLE, *FOOTER])
    cleaned = guarded.process(text)
    assert cleaned.records[0].title == TITLE_STANDFIRST
    assert "Library books" in [t for _, t in _struct_removals(cleaned)]


def test_a_run_with_a_wrapped_paragraph_line_for_a_title_is_no_related_block() -> None:
    from cleaner.core.relatedrun import Run
    from cleaner.core.structure import Detectors, MainSpanSettings

    runs = [Run(items=[(3, []), (4, []), (5, [])]), Run(items=[(8, [9]), (10, []), (11, [])])]
    text = [False] * 12
    prose = [False] * 12
    text[4] = True  # (a line of a wrapped paragraph: text, but no prose on its own)
    text[10] = prose[10] = True  # (a paragraph: prose, and a teaser is no wrapped line)
    wrapped = Detectors._wrapped(text, prose, MainSpanSettings(wrapped_lines=True, wrapped_titles=True))
    assert wrapped == [i == 4 for i in range(12)]
    assert Detectors._unwrapped(runs, wrapped) == runs[1:]
    assert Detectors._wrapped(text, prose, MainSpanSettings(wrapped_lines=True, wrapped_titles=False)) == []


@pytest.mark.parametrize(("line", "with_ordinals", "without"), [
    ("2de amateurs A", False, True), ("1ste amateurs", False, True), ("2nd round draw", False, True),
    ("1st round draw", True, True),  # ("st" stays an amount: "2st ägg" is two eggs in Swedish)
    ("2e division nationale", False, True), ("3ème étape du tour", False, True),
    ("2 dl fløte", True, True), ("2st ägg", True, True), ("100 g flour", True, True), ("3/4 tsp salt", True, True),
])
def test_an_ordinal_is_no_amount(line: str, with_ordinals: bool, without: bool) -> None:
    from cleaner.core.structure import _amount

    assert _amount(line, True, True) is with_ordinals
    assert _amount(line, False, True) is without


def test_an_engine_that_only_tells_the_language_asks_it_directly_with_the_detectors_answer() -> None:
    """With the built-in settings the detectors only tell the language, and the engine asks it of the open lines
    itself (no Found, no detector run): the same records, removals and evidence as the detectors' full run."""
    from tests.fixture_texts import text_folders

    direct, full = cleaner.Cleaner(), cleaner.Cleaner()
    assert direct.engine.detectors.language_only
    full.engine.detectors.language_only = False
    texts = [NEWS, "", "\n\n", "Short line 1.\nTry Our AI Features\nAnother short line of document 1.",
             "这是一个中文句子。\n分享到微信\n另一行中文内容在这里。"]
    texts += [path.read_text(encoding="utf-8") for folder in text_folders() for path in sorted(folder.glob("*.txt"))]
    for text in texts:
        a, b = direct.engine.process(text, doc_id="d"), full.engine.process(text, doc_id="d")
        assert (a.records, a.removals, a.evidence) == (b.records, b.removals, b.evidence), text[:80]
    assert {r.language for text in texts for r in direct.clean(text)} - {"und"}
