from django.urls import path

from hikeshi.prevention.views import (
    acknowledgement,
    check,
    diagnosis,
    policy,
    structure,
    survey,
    tasks,
    training,
)

app_name = "prevention"

P = "o/<slug:org>/prevention/"
V = P + "policies/versions/<int:version_id>/"
T = P + "training/"
S = P + "surveys/"

urlpatterns = [
    path("prevention/diagnosis/", diagnosis.diagnosis, name="diagnosis"),
    path(P, check.prevention_home, name="home"),
    path(P + "photo/strip/", check.photo_strip, name="photo_strip"),
    path(P + "tasks/", tasks.my_tasks, name="my_tasks"),
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
    path(T, training.training_home, name="training"),
    path(T + "assign/", training.assign, name="training_assign"),
    path(T + "dashboard/", training.dashboard, name="training_dashboard"),
    path(T + "courses/<int:course_id>/", training.course_detail, name="course_detail"),
    path(T + "courses/<int:course_id>/test/", training.course_test, name="course_test"),
    path(T + "attempts/<int:attempt_id>/", training.attempt_detail, name="attempt_detail"),
    path(T + "attempts/<int:attempt_id>/certificate/", training.certificate, name="certificate"),
    path(T + "attempts/<int:attempt_id>/grant/", training.grant_attempt, name="grant_attempt"),
    path(S, survey.survey_list, name="survey_list"),
    path(S + "create/", survey.survey_create, name="survey_create"),
    path(S + "respond/<str:token>/", survey.survey_respond, name="survey_respond"),
    path(S + "<int:run_id>/", survey.survey_detail, name="survey_detail"),
    path(S + "<int:run_id>/answer/", survey.survey_answer, name="survey_answer"),
    path(S + "<int:run_id>/send/", survey.survey_send, name="survey_send"),
    path(S + "<int:run_id>/close/", survey.survey_close, name="survey_close"),
    path(S + "<int:run_id>/export/", survey.survey_export, name="survey_export"),
    path(P + "structure/", structure.structure, name="structure"),
    path(P + "structure/<int:risk_role_id>/", structure.structure_edit, name="structure_edit"),
    path(P + "structure/<int:risk_role_id>/delete/", structure.structure_delete, name="structure_delete"),
]
