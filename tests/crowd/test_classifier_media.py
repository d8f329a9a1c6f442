"""<crowd-classifier> over <audio> and <video> classification targets (the gallery's audio and
video templates): the player's layout, the media keys, and the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.crowd.gallery import AUDIO_URL

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

CrowdPage = Callable[[str], Page]


def submit(page: Page) -> list[Any]:
    page.locator("crowd-form .footer crowd-button .button").click()
    return page.evaluate("window.submitted")  # type: ignore[no-any-return]


AUDIO = f"""<crowd-form><crowd-classifier name="sentiment"
    categories="['Positive', 'Negative', 'Neutral', 'N/A']"
    header="What sentiment does this audio convey?">
    <classification-target>
      <audio><source src="{AUDIO_URL}" type="audio/wav">No audio support.</audio>
    </classification-target>
    <short-instructions><p>Choose the primary sentiment.</p></short-instructions>
  </crowd-classifier></crowd-form>"""


def test_audio_plays_with_space_and_seeks_with_j_and_l(crowd_page: CrowdPage) -> None:
    page = crowd_page(AUDIO)
    page.set_viewport_size({"width": 1280, "height": 800})
    audio = page.locator("crowd-classifier audio")
    expect(audio).to_be_visible()
    assert audio.evaluate("a => a.controls") is True  # controls are added when missing
    page.wait_for_function("document.querySelector('audio').readyState >= 1")
    page.keyboard.press("Space")
    page.wait_for_function("!document.querySelector('audio').paused")
    page.keyboard.press("k")
    page.wait_for_function("document.querySelector('audio').paused")
    page.keyboard.press("l")
    page.wait_for_function("document.querySelector('audio').currentTime > 0.9")  # to the 1 s end
    page.keyboard.press("j")
    assert audio.evaluate("a => a.currentTime") == 0
    page.keyboard.press("2")
    assert submit(page) == [{"sentiment": {"label": "Negative"}}]


def test_space_on_a_choice_still_picks_it(crowd_page: CrowdPage) -> None:
    page = crowd_page(AUDIO)
    page.get_by_role("button", name="Neutral").focus()
    page.keyboard.press("Space")
    assert page.evaluate("document.querySelector('audio').paused") is True
    assert submit(page) == [{"sentiment": {"label": "Neutral"}}]


def test_video_fills_the_target_card(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-classifier name="category"
          categories="['Music', 'Sports', 'News']" header="What type of video is this?">
          <classification-target><video width="100%" height="315" controls>
            <source src="missing.mp4" type="video/mp4">Your browser does not support video.
          </video></classification-target></crowd-classifier></crowd-form>"""
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    video = page.locator("crowd-classifier video").bounding_box()
    card = page.locator("crowd-classifier").locator(".target").bounding_box()
    assert video and card
    assert video["width"] > card["width"] - 40  # the whole card, not a 72ch text column
    assert video["y"] + video["height"] <= 800
    expect(page.locator("crowd-classifier .media-keys")).to_contain_text("play / pause")
    page.keyboard.press("3")
    assert submit(page) == [{"category": {"label": "News"}}]
