"""Starting duty actions from command words and menus: one module per area."""
