"""One module per jurisdiction (plus ``default``); each holds only what its document says."""

PRESET_MODULES: dict[str, str] = {
    "default": "bot.policy.presets.default",
    "yongchuan": "bot.policy.presets.yongchuan",
    "dongguan": "bot.policy.presets.dongguan",
    "kunming": "bot.policy.presets.kunming",
    "jiaxian": "bot.policy.presets.jiaxian",
    "beibei": "bot.policy.presets.beibei",
}
