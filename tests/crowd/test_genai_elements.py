"""<crowd-text-ranking> and <crowd-question-answer-generation> in real Chromium: mouse and
keyboard, ties, validation, and the exact answers."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

CrowdPage = Callable[[str], Page]

RESPONSES = [
    "Light bounces off you, then off the mirror, into your eyes.",
    "You see yourself because of a series of light reflections.",
    "Photons interact with the reflective surface at an angle of incidence.",
]


def submit(page: Page) -> list[Any]:
    page.locator("crowd-form .footer crowd-button .button").click()
    return page.evaluate("window.submitted")  # type: ignore[no-any-return]


def problem(page: Page) -> Any:
    return page.locator("crowd-form .footer crowd-button .problem")


def ranking_page(crowd_page: CrowdPage) -> Page:
    dims = '[{"name":"Clarity","allowTie":true},{"name":"Inclusivity","allowTie":false}]'
    return crowd_page(
        f"""<crowd-form><crowd-text-ranking name="textRanking"
          ordinal-ranking-dimensions='{dims}'
          text="Explain why you can see yourself in a mirror."
          responses="{html.escape(json.dumps(RESPONSES))}">
          <short-instructions><p>Rank the responses.</p></short-instructions>
        </crowd-text-ranking></crowd-form>"""
    )


def picker(page: Page, dimension: str, response: int) -> Any:
    return page.get_by_role("radiogroup", name=f"{dimension} rank of response {response}")


def test_ranking_with_the_mouse_and_ties(crowd_page: CrowdPage) -> None:
    page = ranking_page(crowd_page)
    expect(page.get_by_text("Explain why you can see yourself in a mirror.")).to_be_visible()
    for response, rank in [(1, 2), (2, 1), (3, 2)]:  # Clarity allows ties
        picker(page, "Clarity", response).get_by_role("radio", name=f"Rank {rank}").click()
    for response, rank in [(1, 3), (2, 1), (3, 2)]:
        picker(page, "Inclusivity", response).get_by_role("radio", name=f"Rank {rank}").click()
    assert submit(page) == [
        {
            "textRanking": {
                "ordinalRankingDimensions": [
                    {"name": "Clarity", "responseRankings": [2, 1, 2]},
                    {"name": "Inclusivity", "responseRankings": [3, 1, 2]},
                ]
            }
        }
    ]


def test_without_ties_a_taken_rank_swaps(crowd_page: CrowdPage) -> None:
    page = ranking_page(crowd_page)
    for response, rank in [(1, 1), (2, 2), (3, 3)]:
        picker(page, "Inclusivity", response).get_by_role("radio", name=f"Rank {rank}").click()
    picker(page, "Inclusivity", 3).get_by_role("radio", name="Rank 1").click()
    value = page.evaluate("document.querySelector('crowd-text-ranking').crowdValue")
    assert value["ordinalRankingDimensions"][1]["responseRankings"] == [3, 2, 1]


def test_ranking_keyboard_and_validation(crowd_page: CrowdPage) -> None:
    page = ranking_page(crowd_page)
    assert submit(page) == []
    expect(problem(page)).to_have_text("Rank response 1 on Clarity")
    first = picker(page, "Clarity", 1).get_by_role("radio", name="Rank 1")
    first.focus()
    page.keyboard.press("3")  # a digit picks the rank
    expect(picker(page, "Clarity", 1).get_by_role("radio", name="Rank 3")).to_be_focused()
    page.keyboard.press("ArrowLeft")  # arrows step it
    expect(picker(page, "Clarity", 1).get_by_role("radio", name="Rank 2")).to_have_attribute(
        "aria-checked", "true"
    )
    page.keyboard.press("Tab")  # next picker: Inclusivity of response 1
    page.keyboard.press("1")
    for response in (2, 3):
        picker(page, "Clarity", response).get_by_role("radio", name="Rank 1").click()
        picker(page, "Inclusivity", response).get_by_role("radio", name=f"Rank {response}").click()
    page.keyboard.press("Control+Enter")
    assert page.evaluate("window.submitted") == [
        {
            "textRanking": {
                "ordinalRankingDimensions": [
                    {"name": "Clarity", "responseRankings": [2, 1, 1]},
                    {"name": "Inclusivity", "responseRankings": [1, 2, 3]},
                ]
            }
        }
    ]


PASSAGE = "The Amazon rainforest covers most of the Amazon basin of South America."


def qa_page(crowd_page: CrowdPage, **extra: str) -> Page:
    attrs = " ".join(f'{k}="{v}"' for k, v in extra.items())
    return crowd_page(
        f"""<crowd-form><crowd-question-answer-generation name="questionAndAnswers"
          text="{PASSAGE}" min-questions="1" max-questions="2" question-min-words="2"
          question-max-words="12" answer-min-words="1" answer-max-words="6"
          question-tags='["What", "Where", "Who"]' allow-custom-question-tags="true" {attrs}>
          <short-instructions><p>Ask about the passage.</p></short-instructions>
        </crowd-question-answer-generation></crowd-form>"""
    )


def select_in_passage(page: Page, needle: str) -> None:
    start = PASSAGE.index(needle)
    page.evaluate(
        """([start, end]) => {
          const root = document.querySelector('crowd-question-answer-generation').shadowRoot;
          const node = root.querySelector('.passage-text').firstChild;
          const range = document.createRange();
          range.setStart(node, start);
          range.setEnd(node, end);
          const selection = document.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }""",
        [start, start + len(needle)],
    )


def test_question_answer_pairs_with_tags_and_references(crowd_page: CrowdPage) -> None:
    page = qa_page(crowd_page)
    page.get_by_role("textbox", name="Question 0 words").first.fill("Where is the rainforest?")
    page.get_by_role("textbox", name="Answer 0 words").first.fill("South America")
    page.get_by_role("combobox", name="Question tag").first.select_option("Where")
    select_in_passage(page, "South America")
    page.get_by_role("button", name="Add selected text").first.click()
    page.get_by_role("button", name="Add a question").click()
    expect(page.get_by_role("button", name="Add a question")).to_be_hidden()  # max-questions=2
    question = page.locator("crowd-question-answer-generation .question").nth(1)
    expect(question).to_be_focused()
    page.keyboard.type("What does it cover?")
    page.locator("crowd-question-answer-generation .answer").nth(1).fill("the Amazon basin")
    tag = page.locator("crowd-question-answer-generation .tag").nth(1)
    tag.select_option("__custom")
    # The element focuses its custom tag field on the change event: type once it has.
    expect(page.get_by_role("textbox", name="Custom tag of question 2")).to_be_focused()
    page.keyboard.type("Extent")
    select_in_passage(page, "Amazon basin")
    # selectionchange is delivered as a task of its own: let the element see the selection
    # before the focus moves (which collapses it).
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.locator("crowd-question-answer-generation .answer").nth(1).focus()
    page.keyboard.press("Alt+r")
    offset = PASSAGE.index("Amazon basin")
    assert submit(page) == [
        {
            "questionAndAnswers": {
                "questionAnswerPairs": [
                    {
                        "question": "Where is the rainforest?",
                        "answer": "South America",
                        "questionTag": "Where",
                        "textReferences": [
                            {
                                "startOffset": PASSAGE.index("South America"),
                                "endOffset": PASSAGE.index("South America") + 13,
                                "text": "South America",
                            }
                        ],
                    },
                    {
                        "question": "What does it cover?",
                        "answer": "the Amazon basin",
                        "questionTag": "Extent",
                        "textReferences": [
                            {
                                "startOffset": offset,
                                "endOffset": offset + 12,
                                "text": "Amazon basin",
                            }
                        ],
                    },
                ]
            }
        }
    ]


def test_question_answer_word_limits_and_tags(crowd_page: CrowdPage) -> None:
    page = qa_page(crowd_page)
    assert submit(page) == []
    expect(problem(page)).to_have_text("Question 1: the question needs at least 2 words")
    page.locator("crowd-question-answer-generation .question").fill("Who lives there?")
    page.locator("crowd-question-answer-generation .answer").fill(
        "about two hundred thousand people in 1980"
    )
    submit(page)
    expect(problem(page)).to_have_text("Question 1: the answer has 7 words; at most 6 are allowed")
    page.locator("crowd-question-answer-generation .answer").fill("200,000 people")
    submit(page)
    expect(problem(page)).to_have_text("Question 1: choose a question tag")
    page.locator("crowd-question-answer-generation .tag").select_option("Who")
    answer = submit(page)[-1]["questionAndAnswers"]["questionAnswerPairs"]
    assert answer == [
        {
            "question": "Who lives there?",
            "answer": "200,000 people",
            "questionTag": "Who",
            "textReferences": [],
        }
    ]
