"""URLs of the proposals app (included at /proposals/)."""

from django.urls import path

from . import views

app_name = "proposals"

urlpatterns = [
    path("<slug:slug>/", views.proposal_list, name="list"),
    path("<slug:slug>/new/", views.proposal_create, name="create"),
    path("<slug:slug>/reports/", views.reports_queue, name="reports"),
    path("<slug:slug>/<int:pk>/", views.proposal_detail, name="detail"),
    path("<slug:slug>/<int:pk>/edit/", views.proposal_edit, name="edit"),
    path("<slug:slug>/<int:pk>/photos/", views.proposal_images, name="images"),
    path(
        "<slug:slug>/<int:pk>/photos/<int:image_id>/remove/",
        views.proposal_image_remove,
        name="image_remove",
    ),
    path("<slug:slug>/<int:pk>/submit/", views.proposal_submit, name="submit"),
    path("<slug:slug>/<int:pk>/withdraw/", views.proposal_withdraw, name="withdraw"),
    path("<slug:slug>/<int:pk>/screen/", views.proposal_screen, name="screen"),
    path("<slug:slug>/<int:pk>/support/", views.proposal_support, name="support"),
    path("<slug:slug>/<int:pk>/comments/", views.comment_create, name="comment"),
    path("<slug:slug>/<int:pk>/report/", views.report, name="report"),
    path(
        "<slug:slug>/<int:pk>/comments/<int:comment_id>/report/",
        views.report,
        name="report_comment",
    ),
    path("<slug:slug>/<int:pk>/moderate/", views.moderate, name="moderate"),
    path(
        "<slug:slug>/<int:pk>/comments/<int:comment_id>/moderate/",
        views.moderate,
        name="moderate_comment",
    ),
    path("<slug:slug>/<int:pk>/progress/", views.milestone_add, name="milestone"),
]
