"""Invented pages of every kind (tasks.extraction.kinds), for the tests: what a crawl of the open web lands."""

from __future__ import annotations

import json

PROSE = ("The council met on Tuesday evening to hear from residents who live along the old harbour wall, "
         "where the winter storms left cracks that engineers now say must be repaired before next autumn.")


def _page(title: str, body: str, head: str = "", ld: dict | None = None) -> str:
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld else ""
    return (f"<html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}{script}</head>"
            f"<body><header><nav><ul><li><a href='/'>Home</a></li><li><a href='/about'>About</a></li>"
            f"<li><a href='/contact'>Contact</a></li></ul></nav></header>{body}"
            f"<footer><p>Copyright 2026 Example Media</p></footer></body></html>")


def article() -> tuple[str, str]:
    paragraphs = "".join(f"<p>{PROSE} Paragraph {i} adds what the harbour master told the meeting about "
                         f"the tides, the cranes and the cost of the works that the town will share.</p>"
                         for i in range(8))
    body = (f"<main><article><h1>Harbour wall repairs approved after winter storms</h1>"
            f"<p class='byline'>By Maren Holt</p><time datetime='2026-03-14T08:00:00Z'>14 March 2026</time>"
            f"{paragraphs}</article></main>")
    ld = {"@context": "https://schema.org", "@type": "NewsArticle",
          "headline": "Harbour wall repairs approved after winter storms", "datePublished": "2026-03-14T08:00:00Z",
          "author": {"@type": "Person", "name": "Maren Holt"}}
    head = "<meta property='og:type' content='article'><meta property='article:published_time' content='2026-03-14'>"
    return ("https://www.harbour-times.example/2026/03/14/harbour-wall-repairs-approved-after-winter-storms",
            _page("Harbour wall repairs approved after winter storms", body, head, ld))


FORUM_REPLY = ("I had the same smell with my rye starter last spring; two feeds a day at a warmer spot in the "
               "kitchen fixed it within a week, and the bread rose twice as high afterwards.")


def forum() -> tuple[str, str]:
    posts = []
    for i, (user, text) in enumerate([("crumbcat", "My sourdough starter smells like nail polish after three days "
                                                    "on the counter, and it no longer doubles after feeding. Is it "
                                                    "dead, or is it just hungry? I feed it once a day with flour."),
                                       ("ryeandshine", FORUM_REPLY),
                                       ("oldbaker", "Acetone means it is starving. Discard most of it, feed it "
                                                    "equal weights of flour and water and keep it warm; it will "
                                                    "come back, they almost always do.")]):
        posts.append(f"<div class='post message' id='post-{i}'><div class='post-author'><a class='username' "
                     f"href='/members/{user}'>{user}</a><span>Joined 2024</span><span>Posts: {12 + i}</span></div>"
                     f"<div class='post-body'><p>{text}</p></div><div class='post-actions'><a href='#'>Reply</a>"
                     f"<a href='#'>Quote</a><a href='#'>Like</a></div></div>")
    body = (f"<main><h1>Sourdough starter smells like acetone</h1><div class='thread'>{''.join(posts)}</div>"
            f"<div class='pagination'><a href='?page=2'>Next</a></div></main>")
    ld = {"@context": "https://schema.org", "@type": "DiscussionForumPosting",
          "headline": "Sourdough starter smells like acetone", "author": {"@type": "Person", "name": "crumbcat"}}
    return ("https://forum.breadheads.example/threads/sourdough-starter-smells-like-acetone.4821/",
            _page("Sourdough starter smells like acetone | Breadheads Forum", body, "", ld))


def product() -> tuple[str, str]:
    body = ("<main><div class='product'><h1>Oak chopping board, large</h1><div class='price'>$49.00</div>"
            "<p class='stock'>In stock</p><form class='cart'><select name='size'><option>Large</option>"
            "<option>Medium</option></select><input name='qty' value='1'><button>Add to cart</button></form>"
            "<div class='product-description'><p>Cut from a single plank of European oak and finished with food-safe "
            "oil, this board is heavy enough to stay put on the counter and kind to the edge of your knives.</p></div>"
            "<table class='specs'><tr><th>Size</th><td>45 x 30 cm</td></tr><tr><th>Weight</th><td>2.1 kg</td></tr>"
            "<tr><th>Wood</th><td>European oak</td></tr></table><div class='reviews'><h2>Reviews</h2>"
            "<span class='rating'>4.8 out of 5</span></div></div></main>")
    ld = {"@context": "https://schema.org", "@type": "Product", "name": "Oak chopping board, large",
          "offers": {"@type": "Offer", "price": "49.00", "priceCurrency": "USD"}}
    return ("https://shop.woodworks.example/products/oak-chopping-board-large",
            _page("Oak chopping board, large - Woodworks", body, "<meta property='og:type' content='product'>", ld))


def listing() -> tuple[str, str]:
    teasers = "".join(f"<article class='teaser'><h2><a href='/2026/03/{10 + i}/story-{i}'>Story number {i} about "
                      f"the harbour</a></h2><time>{10 + i} March 2026</time><p class='excerpt'>A short summary of "
                      f"story {i}.</p><a href='/2026/03/{10 + i}/story-{i}'>Read more</a></article>"
                      for i in range(24))
    body = (f"<main><form class='search'><input name='q'><button>Search</button></form><h1>Harbour news</h1>"
            f"<select><option>Sort by date</option></select><div class='feed'>{teasers}</div><div class='pagination'>"
            f"<a href='/tag/harbour/page/2/'>2</a><a href='/tag/harbour/page/3/'>3</a>"
            f"<a href='/tag/harbour/page/2/'>Next</a></div></main>")
    return ("https://www.harbour-times.example/tag/harbour/",
            _page("Harbour news - Harbour Times", body, "<meta property='og:type' content='website'>"))


def collection() -> tuple[str, str]:
    cards = "".join(f"<li class='product-card grid-item'><a href='/products/board-{i}'><img src='/b{i}.jpg' alt=''>"
                    f"<h3>Board model {i}</h3></a><span class='price'>${20 + i}.00</span><span class='stock'>In stock"
                    f"</span><button class='add-to-cart'>Add to cart</button></li>" for i in range(24))
    body = (f"<main><h1>Chopping boards</h1><div class='filters'><h2>Filters</h2><ul><li>Brands</li><li>Featured"
            f"</li></ul><select><option>Sort by price</option></select></div><ul class='product-grid'>{cards}</ul>"
            f"<div class='pagination'><a href='?page=2'>Next</a></div></main>")
    ld = {"@context": "https://schema.org", "@type": "CollectionPage", "name": "Chopping boards"}
    return ("https://shop.woodworks.example/collections/chopping-boards",
            _page("Chopping boards - Woodworks", body, "", ld))


def documentation() -> tuple[str, str]:
    sections = "".join(f"<h2 id='opt-{i}'>Option {i}<a class='headerlink' href='#opt-{i}'>#</a></h2>"
                       f"<p>The option sets how many worker processes the tool starts; the default is one per "
                       f"core, and a value of zero runs everything in the calling process.</p>"
                       f"<pre><code class='language-toml'>[workers]\ncount = {i}\n</code></pre>"
                       for i in range(5))
    body = (f"<div class='docs'><aside class='sidebar toc'><ul><li><a href='/docs/v2/install/'>Install</a></li>"
            f"<li><a href='/docs/v2/reference/config/'>Configuration</a></li></ul></aside><main>"
            f"<h1>Configuration file reference</h1>{sections}<div class='admonition note'><p>Note: the file is "
            f"read once, at start.</p></div></main></div>")
    ld = {"@context": "https://schema.org", "@type": "TechArticle", "headline": "Configuration file reference"}
    return ("https://docs.tidetool.example/docs/v2/reference/config/",
            _page("Configuration file reference - Tidetool 2.4 documentation", body, "", ld))


def service() -> tuple[str, str]:
    plans = "".join(f"<div class='plan'><h3>{name}</h3><p class='price'>${price} per visit</p><ul>"
                    f"<li>Inspection</li><li>Written report</li></ul><a class='cta button' href='/book'>Book now</a>"
                    f"</div>" for name, price in (("Basic", 90), ("Standard", 150), ("Premium", 240)))
    body = (f"<main><section class='hero'><h1>Roof repair in Eastbay</h1><p>Leaks fixed fast by certified roofers. "
            f"Call us today for a free quote.</p><a class='cta' href='/contact'>Get a free quote</a></section>"
            f"<section class='features'><h2>Why choose us</h2><ul><li>Licensed and insured</li>"
            f"<li>Same-day service</li><li>10-year warranty</li></ul></section><section class='pricing'>{plans}"
            f"</section><section class='testimonials'><blockquote>Great work, fair price.</blockquote></section>"
            f"<form class='contact-form'><input name='name'><input name='phone'><button>Send</button></form></main>")
    ld = {"@context": "https://schema.org", "@type": "RoofingContractor", "name": "Eastbay Roofing"}
    ld_service = {"@context": "https://schema.org", "@type": "Service", "serviceType": "Roof repair"}
    page = _page("Roof repair services | Eastbay Roofing", body, "", ld)
    page = page.replace("</head>", f'<script type="application/ld+json">{json.dumps(ld_service)}</script></head>')
    return "https://www.eastbayroofing.example/services/roof-repair/", page


PAGES = {"article": article, "forum": forum, "product": product, "listing": listing, "collection": collection,
         "documentation": documentation, "service": service}
