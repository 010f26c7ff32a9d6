"""URLs of the communities app, under /neighbourhoods/."""

from django.urls import path

from . import views

app_name = "communities"

urlpatterns = [
    path("", views.neighbourhood_list, name="list"),
    path("register/", views.neighbourhood_register, name="register"),
    path("review/", views.review_list, name="review_list"),
    path("to-do/", views.todo_index, name="todo_index"),
    path("<slug:slug>/", views.neighbourhood_detail, name="detail"),
    path("<slug:slug>/edit/", views.neighbourhood_edit, name="edit"),
    path("<slug:slug>/to-do/", views.todo, name="todo"),
    path("<slug:slug>/submit/", views.neighbourhood_submit, name="submit"),
    path("<slug:slug>/review/", views.neighbourhood_review, name="review"),
    path("<slug:slug>/join/", views.join, name="join"),
    path("<slug:slug>/join/verify/", views.join_verify, name="join_verify"),
    path("<slug:slug>/membership/renew/", views.membership_renew, name="renew"),
    path("<slug:slug>/membership/leave/", views.membership_leave, name="leave"),
    path("<slug:slug>/membership/private/", views.membership_private, name="private"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/<int:pk>/attest/", views.member_attest, name="member_attest"),
    path("<slug:slug>/members/<int:pk>/reject/", views.member_reject, name="member_reject"),
    path("<slug:slug>/members/<int:pk>/confirm/", views.member_confirm, name="member_confirm"),
    path("<slug:slug>/access-codes/", views.access_codes, name="access_codes"),
    path(
        "<slug:slug>/access-codes/<int:pk>/letters.pdf",
        views.access_codes_pdf,
        name="access_codes_pdf",
    ),
    path(
        "<slug:slug>/access-codes/<int:pk>/codes.csv",
        views.access_codes_csv,
        name="access_codes_csv",
    ),
    path("<slug:slug>/roles/", views.roles, name="roles"),
    path("<slug:slug>/roles/<int:pk>/end/", views.role_end, name="role_end"),
    path(
        "<slug:slug>/partnership/exception/",
        views.partnership_exception,
        name="partnership_exception",
    ),
    path("<slug:slug>/interests/", views.interests, name="interests"),
    path("<slug:slug>/interests/<int:pk>/end/", views.interest_end, name="interest_end"),
]
