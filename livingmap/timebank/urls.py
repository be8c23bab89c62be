"""Pages of the timebank app, under /timebank/."""

from django.urls import path

from . import views

urlpatterns = [
    path("timebank/", views.home, name="timebank_home"),
    path(
        "timebank/exchanges/<int:pk>/confirm/",
        views.answer_exchange,
        {"action": "confirm"},
        name="timebank_confirm",
    ),
    path(
        "timebank/exchanges/<int:pk>/decline/",
        views.answer_exchange,
        {"action": "decline"},
        name="timebank_decline",
    ),
    path("timebank/<slug:slug>/", views.bank_detail, name="timebank_bank"),
    path("timebank/<slug:slug>/join/", views.join, name="timebank_join"),
    path("timebank/<slug:slug>/listings/new/", views.listing_new, name="timebank_listing_new"),
    path("timebank/<slug:slug>/listings/<int:pk>/", views.listing_detail, name="timebank_listing"),
    path(
        "timebank/<slug:slug>/conversations/<int:pk>/",
        views.conversation,
        name="timebank_conversation",
    ),
    path("timebank/<slug:slug>/record/", views.record, name="timebank_record"),
    path("timebank/<slug:slug>/statement/", views.statement, name="timebank_statement"),
    path("timebank/<slug:slug>/broker/", views.broker_dashboard, name="timebank_broker"),
    path(
        "timebank/<slug:slug>/broker/members/<int:pk>/status/",
        views.member_status,
        name="timebank_member_status",
    ),
    path(
        "timebank/<slug:slug>/broker/members/<int:pk>/credit-limit/",
        views.credit_limit,
        name="timebank_credit_limit",
    ),
    path(
        "timebank/<slug:slug>/broker/exchanges/<int:pk>/reverse/",
        views.reverse,
        name="timebank_reverse",
    ),
    path("timebank/<slug:slug>/broker/bulk/", views.bulk, name="timebank_bulk"),
    path(
        "timebank/<slug:slug>/broker/exchanges.csv",
        views.exchanges_csv,
        name="timebank_exchanges_csv",
    ),
    path(
        "timebank/<slug:slug>/broker/statistics.csv",
        views.statistics_csv,
        name="timebank_statistics_csv",
    ),
]
