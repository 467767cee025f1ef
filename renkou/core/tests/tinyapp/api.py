from ninja import Router

from renkou.core.api import READ_ERRORS, require

router = Router()


@router.get("/hello", response={200: dict, **READ_ERRORS}, summary="A tiny answer")
def hello(request):
    require(request, "view_tiny")
    return {"hello": request.auth.username}
