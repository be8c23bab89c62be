from django.http import HttpRequest
from ninja import Router

from . import selectors

router = Router(tags=["Sample"])


@router.get("/things/{number}", response=str, summary="One sample thing", url_name="sample_thing")
def sample_thing(request: HttpRequest, number: int) -> str:
    return selectors.get_thing(number)
