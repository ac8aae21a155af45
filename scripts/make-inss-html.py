#!/usr/bin/env python3
"""Writes the HTML captures of snapshots/inss-defense-treaty/ from the text
captures of the same versions.

Each HTML file is the page as the INSS site (a WordPress CMS) would serve
that version: header navigation and search, breadcrumb, headline and byline,
the audio-player widget with its download counter and lower-cased
transcript, the article body, the disclaimer, topic tags, the events
sidebar, related-publication cards, the newsletter form and the footer, with
JSON-LD and Open Graph in <head>. The publication's own content (title,
series, date, topics, body blocks, related items) comes from redline's
normalization of the text capture of the same version; the chrome that
changes between captures (download counter, events box) comes from the text
capture itself. So the HTML differs from version to version exactly where
the text captures do.

usage: scripts/make-inss-html.py [REDLINE_BINARY]   (default target/debug/redline)
"""

import html
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAP = ROOT / "snapshots" / "inss-defense-treaty"
BIN = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "redline")
URL = "https://www.inss.org.il/publication/us-israel-defense-treaty/"

MENU = {
    "Research": ["Israel and the Global Powers", "Iran and the Shi'ite Axis", "Conflict to Agreements",
                 "Israel’s National Security Policy", "Cross-Arena Research"],
    "Publications": ["All Publications", "INSS Insight", "Policy Papers", "Special Publication",
                     "Strategic Assessment", "Technology Platform", "Memoranda", "Posts", "Books", "Archive"],
    "Database": ["Surveys", "Spotlight", "Maps", "Real-Time Tracker"],
    "About": ["Vision and Mission", "History", "Research Disciplines", "Board of Directors",
              "Fellowship and Prizes", "Internships", "Newsletter"],
    "Media": ["Articles", "Quotes", "Radio and TV", "Video gallery", "Press Releases"],
}


def e(text):
    return html.escape(text, quote=True)


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def menu():
    out = []
    for top, items in MENU.items():
        subs = "".join(f'<li class="menu-item"><a href="/{slug(top)}/{slug(i)}/">{e(i)}</a></li>' for i in items)
        out.append(f'<li class="menu-item has-children"><a href="/{slug(top)}/">{e(top)}</a>'
                   f'<ul class="sub-menu">{subs}</ul></li>')
    for top in ["Events", "Team", "Podcast", "Contact", "עברית", "Support Us"]:
        out.append(f'<li class="menu-item"><a href="/{slug(top) or "he"}/">{e(top)}</a></li>')
    return "\n      ".join(out)


def chrome(text):
    downloads = re.search(r"Download audioDownloaded:(\d+)", text).group(1)
    lines = text.split("\n")
    i = lines.index("All events")
    event = lines[i + 1:i + 5]
    return downloads, event


def transcript(doc):
    parts = [doc["title"].lower() + "."]
    for b in doc["body"]:
        t = b["text"].lower()
        parts.append(t + "." if b["kind"] == "heading" else t)
    return " ".join(parts)


def block_html(b):
    if b["kind"] == "heading":
        lvl = b.get("level") or 2
        return f"<h{lvl}>{e(b['text'])}</h{lvl}>"
    if b["kind"] == "list_item":
        return f"<ul><li>{e(b['text'])}</li></ul>"
    if b["kind"] == "quote":
        return f"<blockquote><p>{e(b['text'])}</p></blockquote>"
    return f"<p>{e(b['text'])}</p>"


def player(doc, downloads, n):
    speeds = "".join(f'<li><button data-rate="{s}">{s}</button></li>'
                     for s in ["0.5", "0.6", "0.7", "0.8", "0.9", "1", "1.1", "1.2", "1.3", "1.5", "2"])
    langs = "".join(f"<li><button>{l}</button></li>"
                    for l in ["English", "French", "German", "Italian", "Russian", "Spanish"])
    return f"""<div class="gsp-player" id="gsp-player-{n}" data-post="81234">
        <div class="gsp-title">Listen to this content</div>
        <div class="gsp-plays">Plays:<span class="gsp-count">-</span><span class="sr-only">Audio plays count</span></div>
        <div class="gsp-controls"><button class="gsp-play" aria-label="Play"></button>
          <span class="gsp-time">0:00</span> <span class="gsp-duration">-:--</span>
          <button class="gsp-rate">1x</button></div>
        <div class="gsp-menu"><span>Playback Speed</span><ul>{speeds}</ul>
          <span>Audio Language</span><ul>{langs}</ul></div>
        <button class="gsp-open-text">Open text</button>
        <div class="gsp-text" style="display:none">{e(transcript(doc))}</div>
        <a class="gsp-download" href="/wp-content/uploads/gspeech/81234.mp3" download>Download audio</a><span class="gsp-downloads">Downloaded:{downloads}</span>
      </div>"""


def related_card(item):
    credit = ""
    if item.get("credit"):
        credit = f'<figure class="related-card-image"><img src="/wp-content/uploads/{slug(item["title"])}.jpg" alt=""><figcaption class="related-card-credit">{e(item["credit"])}</figcaption></figure>'
    d = item["date"]  # YYYY-MM-DD
    shown = f"{d[8:10]}/{d[5:7]}/{d[2:4]}"
    summary = f'<p class="related-card-excerpt">{e(item["summary"])}</p>' if item.get("summary") else ""
    return f"""<article class="related-card">
            <a class="related-card-link" href="https://www.inss.org.il/publication/{slug(item['title'])}/">
              {credit}
              <h3 class="related-card-title">{e(item['title'])}</h3>
              {summary}
              <time class="related-card-date" datetime="{d}">{shown}</time>
            </a>
          </article>"""


def page(doc, downloads, event):
    title = doc["title"]
    date = doc["published"]
    shown_date = f"{MONTHS[int(date[5:7]) - 1]} {int(date[8:10])}, {date[:4]}"
    lead = doc["body"][0]["text"]
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": "https://www.inss.org.il/#website", "name": "INSS",
             "url": "https://www.inss.org.il/"},
            {"@type": "Article", "@id": URL + "#article", "headline": title, "datePublished": date,
             "dateModified": date, "articleSection": "Policy Papers", "inLanguage": "en-US",
             "keywords": doc["topics"], "mainEntityOfPage": URL,
             "publisher": {"@type": "Organization", "name": "The Institute for National Security Studies"}},
        ],
    }
    body = "\n          ".join(block_html(b) for b in doc["body"])
    topics = "".join(f'<a class="topic" href="/topics/{slug(t)}/">{e(t)}</a>' for t in doc["topics"])
    cards = "\n          ".join(related_card(i) for i in doc["related"])
    ev_title, ev_date, ev_time, ev_photo = event
    return f"""<!DOCTYPE html>
<html lang="en-US" dir="ltr">
<head>
  <meta charset="UTF-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{e(title)} | INSS</title>
  <link rel="canonical" href="{URL}">
  <meta name="description" content="{e(lead)}">
  <meta property="og:locale" content="en_US">
  <meta property="og:type" content="article">
  <meta property="og:title" content="{e(title)}">
  <meta property="og:description" content="{e(lead)}">
  <meta property="og:url" content="{URL}">
  <meta property="og:site_name" content="INSS">
  <meta property="article:published_time" content="{date}T09:00:00+00:00">
  <meta property="og:image" content="https://www.inss.org.il/wp-content/uploads/2023/09/defense-treaty.jpg">
  <script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>
  <link rel="stylesheet" href="/wp-content/themes/inss/style.css?ver=3.4.1">
  <script src="/wp-content/plugins/gspeech/js/gspeech.js?ver=3.1"></script>
  <script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"pageType": "publication"}});</script>
</head>
<body class="publication-template-default single single-publication">
  <div class="gsp-select-listen">Select any text and click on the icon to listen! <span>ByGSpeech</span></div>
  <a class="skip-link" href="#header">go to header</a> <a class="skip-link" href="#content">go to content</a>
  <a class="skip-link" href="#footer">go to footer</a> <a class="skip-link" href="#search">go to search</a>
  <header id="header" class="site-header">
    <a class="logo" href="/"><img src="/logo.svg" alt="INSS logo The Institute for National Security Studies, Strategic, Innovative, Policy-Oriented Research, go to the home page">INSS</a>
    <a class="tau" href="https://www.tau.ac.il/"><img src="/tau.svg" alt="Tel Aviv University logo - beyond an external website, opens on a new page"></a>
    <nav class="main-navigation" aria-label="Main">
      <ul class="menu">
      {menu()}
      </ul>
    </nav>
    <form id="search" class="search-form" role="search" action="/"><label>Search in site <input type="search" name="s"></label><button>Search</button></form>
  </header>
  <main id="content" class="site-main">
    <div class="page-label">Publications</div>
    <nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> <a href="/publications/">Publications</a> <a href="/publications/policy-papers/">Policy Papers</a> <span>{e(title)}</span></nav>
    <div class="content-area">
      <article class="publication" id="post-81234">
        <header class="publication-header">
          <h1 class="publication-title">{e(title)}</h1>
          <div class="publication-byline"><span class="publication-series">Policy Paper</span>, <time datetime="{date}">{shown_date}</time></div>
        </header>
        <div class="share-bar"><a href="https://twitter.com/intent/tweet?url={URL}">Share on X</a> <a href="https://www.facebook.com/sharer.php?u={URL}">Share on Facebook</a> <button>Copy link</button></div>
        <div class="entry-content">
          {player(doc, downloads, 1)}
          {body}
        </div>
        <p class="publication-disclaimer">The opinions expressed in INSS publications are the authors’ alone.</p>
        <div class="publication-series-link">Publication Series <a href="/publications/policy-papers/">Policy Papers</a></div>
        <div class="publication-topics"><span class="label">Topics</span>{topics}</div>
      </article>
      <aside class="sidebar">
        <section class="events-box">
          <h2>Events</h2><a href="/events/">All events</a>
          <div class="event"><a href="/event/{slug(ev_title)}/">{e(ev_title)}</a>
            <div class="event-date">{e(ev_date)}</div><div class="event-time">{e(ev_time)}</div>
            <div class="event-credit">{e(ev_photo)}</div></div>
        </section>
      </aside>
    </div>
    <section class="related-publications">
      <h2>Related Publications</h2>
      <a class="all" href="/publications/">All publications</a>
      <div class="related-cards">
          {cards}
      </div>
    </section>
    <section class="newsletter">
      <h2>Stay up to date</h2>
      <form class="newsletter-form"><input type="email" placeholder="Email"><button>Register</button></form>
      <div class="newsletter-success" hidden>Registration was successful! Thanks.</div>
    </section>
  </main>
  <footer id="footer" class="site-footer">
    <nav aria-label="Footer"><ul class="menu">
      {menu()}
    </ul></nav>
    <p class="copyright">© All rights reserved to INSS, The Institute for National Security Studies, 40 Haim Levanon St., Tel Aviv</p>
  </footer>
</body>
</html>
"""


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def main():
    for txt in sorted(SNAP.glob("*.txt")):
        out = subprocess.run([BIN, "normalize", str(txt), "--format", "json"], check=True,
                             capture_output=True, text=True).stdout
        doc = json.loads(out)
        downloads, event = chrome(txt.read_text(encoding="utf-8"))
        target = txt.with_suffix(".html")
        target.write_text(page(doc, downloads, event), encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
