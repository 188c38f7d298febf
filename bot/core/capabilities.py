"""What each platform's chat can show, so flows ask questions the best way each allows."""

from __future__ import annotations

from dataclasses import dataclass

from storage.enums import Platform


@dataclass(frozen=True)
class Capabilities:
    buttons: bool
    max_buttons: int
    # Cards can carry text inputs and selects (Feishu form containers, the console).
    forms: bool
    # Prefer one form card for a whole multi-field form (the issue asks this of Feishu).
    single_form_card: bool


CAPABILITIES: dict[Platform, Capabilities] = {
    Platform.CONSOLE: Capabilities(buttons=True, max_buttons=8, forms=True, single_form_card=False),
    # template_card button_interaction: at most 6 buttons, no text inputs.
    Platform.WECOM: Capabilities(buttons=True, max_buttons=6, forms=False, single_form_card=False),
    # The intelligent robot's template cards: the same button_interaction card.
    Platform.WECOM_BOT: Capabilities(
        buttons=True, max_buttons=6, forms=False, single_form_card=False
    ),
    Platform.FEISHU: Capabilities(buttons=True, max_buttons=8, forms=True, single_form_card=True),
}


def capabilities(platform: Platform) -> Capabilities:
    return CAPABILITIES[platform]
