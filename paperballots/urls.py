app_name = "paperballots"
urlpatterns = []
