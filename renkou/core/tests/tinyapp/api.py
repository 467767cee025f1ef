from ninja import Router

from renkou.core.api import READ_ERRORS, reading

router = Router()


@router.get("/hello", auth=reading("view_tiny"), response={200: dict, **READ_ERRORS}, summary="A tiny answer")
def hello(request):
    return {"hello": request.auth.username}
