{{/* Names and labels shared by every template. */}}

{{- define "keyward.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: "keyward" when the release is called keyward. */}}
{{- define "keyward.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "keyward.selectorLabels" -}}
app.kubernetes.io/name: {{ include "keyward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "keyward.labels" -}}
{{ include "keyward.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "keyward.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "keyward.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "keyward.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
One CRD from files/<name>.yaml, a link to crds/<name>.yaml at the repository
root (the one source of the schema; `helm package` stores the linked
content), with the chart's labels and, when crds.keep, Helm's keep policy.
Called with (list $ "<name>").
*/}}
{{- define "keyward.crd" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- $crd := $root.Files.Get (printf "files/%s.yaml" $name) | fromYaml }}
{{- if or (not $crd) (hasKey $crd "Error") (not $crd.metadata) }}
{{- fail (printf "charts/keyward/files/%s.yaml is missing or not YAML: it must link to crds/%s.yaml" $name $name) }}
{{- end }}
{{- $annotations := $crd.metadata.annotations | default dict }}
{{- if $root.Values.crds.keep }}
{{- $_ := set $annotations "helm.sh/resource-policy" "keep" }}
{{- end }}
{{- $_ := set $crd.metadata "annotations" $annotations }}
{{- $_ := set $crd.metadata "labels" (merge (include "keyward.labels" $root | fromYaml) ($crd.metadata.labels | default dict)) }}
{{- toYaml $crd }}
{{- end }}

{{/* The rules the operator needs on ApiKeys, templates, requests, their
     Secrets and events, in the namespaces it manages. Kept in one place so
     the ClusterRole and the per-namespace Roles cannot drift apart.
     ClusterApiKeyTemplates are cluster-scoped: their rules are in the
     ClusterRole <name>-clustertemplates (rbac.yaml) in either case. */}}
{{- define "keyward.managedRules" -}}
# create: the ApiKey issued for an approved ApiKeyRequest. No update, patch
# or delete: an ApiKey's spec is its user's.
- apiGroups: ["keyward.io"]
  resources: ["apikeys"]
  verbs: ["get", "list", "watch", "create"]
- apiGroups: ["keyward.io"]
  resources: ["apikeys/status"]
  verbs: ["patch"]
# Key Secrets are owned by their ApiKey with blockOwnerDeletion; under the
# OwnerReferencesPermissionEnforcement admission plugin (OpenShift turns it
# on) that needs update on the owner's finalizers.
- apiGroups: ["keyward.io"]
  resources: ["apikeys/finalizers"]
  verbs: ["update"]
# Templates are the roles of keys with spec.templateRef and what requests
# are issued from; requests are read, and answered in their status (Issued,
# status.apiKeyRef, the requester).
- apiGroups: ["keyward.io"]
  resources: ["apikeytemplates", "apikeyrequests"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["keyward.io"]
  resources: ["apikeyrequests/status"]
  verbs: ["update", "patch"]
# A template's status: valid or not, and how many keys use it.
- apiGroups: ["keyward.io"]
  resources: ["apikeytemplates/status"]
  verbs: ["patch"]
# keyward approves the requests of Automatic templates itself, so it holds
# what every approver needs (as cert-manager's approver holds approve on
# signers): the verb approve on the templates.
- apiGroups: ["keyward.io"]
  resources: ["apikeytemplates"]
  verbs: ["approve"]
# Key Secrets: created once, annotated on rotation, read back by name only
# (recovery after a crash, deleted-Secret check). No list or watch.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# Set scopes are resolved from a metadata-only watch of pods and ReplicaSets
# (owner references), so a check costs no API call. No get: nothing reads a
# pod's spec.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
- apiGroups: ["apps"]
  resources: ["replicasets"]
  verbs: ["list", "watch"]
{{- if .Values.logsEndpoint.enabled }}
# GET /v1/logs streams a container's log with keyward's own credentials,
# after keyward has checked the key's container scope.
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
{{- end }}
{{- end }}

{{/*
The serving certificate's names: the HTTPS Service's DNS names, and the
host of webhook.url when set.
*/}}
{{- define "keyward.dnsNames" -}}
{{- $svc := include "keyward.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) -}}
{{- range .Values.tls.extraNames -}}
{{- $names = append $names . -}}
{{- end -}}
{{- with .Values.webhook.url -}}
{{- $names = append $names (regexReplaceAll "^https://([^/:]+|\\[[^]]+\\])(:[0-9]+)?/?$" . "${1}" | trimAll "[]") -}}
{{- end -}}
{{- join "," $names -}}
{{- end }}

{{/*
The Secret holding the serving certificate when keyward does not make it.
*/}}
{{- define "keyward.servingSecret" -}}
{{- if eq .Values.tls.mode "certManager" -}}
{{- printf "%s-serving-tls" (include "keyward.fullname" .) -}}
{{- else -}}
{{- required "tls.mode=secret needs tls.secretName: a kubernetes.io/tls Secret in the release namespace" .Values.tls.secretName -}}
{{- end -}}
{{- end }}

{{/*
A duration as keyward run reads it ("1h30m", "500ms", "2d"), in
milliseconds, for comparing two values before keyward run refuses them.
*/}}
{{- define "keyward.durationMs" -}}
{{- $ms := dict "ns" 0.000001 "us" 0.001 "µs" 0.001 "ms" 1.0 "s" 1000.0 "m" 60000.0 "h" 3600000.0 "d" 86400000.0 "w" 604800000.0 -}}
{{- $total := 0.0 -}}
{{- range regexFindAll "[0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w)" (toString .) -1 -}}
{{- $unit := regexFind "(ns|us|µs|ms|s|m|h|d|w)$" . -}}
{{- $total = addf $total (mulf (float64 (trimSuffix $unit .)) (get $ms $unit)) -}}
{{- end -}}
{{- $total -}}
{{- end }}
