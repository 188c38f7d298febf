"""All tortoise models. New model modules must be listed in ``storage.db.MODEL_MODULES``."""
