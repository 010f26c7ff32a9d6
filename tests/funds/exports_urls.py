"""The site's URLs plus the export downloads, as config/urls.py will include them."""

from django.urls import include, path

from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, path("funds/", include("funds.urls_exports"))]
