from django.urls import path

from hikeshi.prevention.views import acknowledgement, check, diagnosis, policy

app_name = "prevention"

P = "o/<slug:org>/prevention/"
V = P + "policies/versions/<int:version_id>/"

urlpatterns = [
    path("prevention/diagnosis/", diagnosis.diagnosis, name="diagnosis"),
    path(P, check.prevention_home, name="home"),
    path(P + "photo/strip/", check.photo_strip, name="photo_strip"),
    path(P + "policies/", policy.policy_list, name="policy_list"),
    path(P + "policies/questionnaire/", policy.questionnaire, name="questionnaire"),
    path(V, policy.version_detail, name="version_detail"),
    path(V + "clauses/<slug:clause_key>/", policy.clause_edit, name="clause_edit"),
    path(V + "approve/", policy.version_approve, name="version_approve"),
    path(V + "publish/", policy.version_publish, name="version_publish"),
    path(V + "export/", policy.version_export, name="version_export"),
    path(P + "acknowledgements/", acknowledgement.my_acknowledgements, name="acknowledgements"),
    path(
        P + "acknowledgements/status/", acknowledgement.acknowledgement_status, name="acknowledgement_status"
    ),
]
