"""Reads of the sample app: a fixed list, so installing it needs no table."""

THINGS = ("a bench", "a noticeboard")


class NoSuchThing(LookupError):
    pass


def things() -> list[str]:
    return list(THINGS)


def get_thing(number: int) -> str:
    if not 0 <= number < len(THINGS):
        raise NoSuchThing(f"There is no sample thing {number}.")
    return THINGS[number]
