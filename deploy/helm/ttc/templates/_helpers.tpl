{{/* Names, labels and the settings every ttc container shares. */}}

{{- define "ttc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ttc.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; `component` is passed as (dict "root" $ "component" "scheduler"). */}}
{{- define "ttc.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: ttc
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "ttc.selectorLabels" . }}
{{- end -}}

{{- define "ttc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ttc.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ttc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ttc.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ttc.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The bundled NATS's Service name, as the nats chart names it. */}}
{{- define "ttc.natsFullname" -}}
{{- if .Values.nats.fullnameOverride -}}
{{- .Values.nats.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "nats" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-nats" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ttc.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{- printf "nats://%s.%s.svc:4222" (include "ttc.natsFullname" .) .Release.Namespace -}}
{{- else -}}
{{- required "nats.external.url is required when nats.enabled is false" .Values.nats.external.url -}}
{{- end -}}
{{- end -}}

{{/* The task stream's name: TTC_NAMESPACE upper-cased, "-" as "_", then _TASKS (packages/common/src/wire.ts). */}}
{{- define "ttc.taskStream" -}}
{{- printf "%s_TASKS" (.Values.ttcNamespace | upper | replace "-" "_") -}}
{{- end -}}

{{/* Environment every ttc service gets: NATS, namespace, logs, listen addresses. */}}
{{- define "ttc.commonEnv" -}}
- name: TTC_NATS_URL
  value: {{ include "ttc.natsUrl" . | quote }}
- name: TTC_NAMESPACE
  value: {{ .Values.ttcNamespace | quote }}
- name: TTC_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: TTC_METRICS_HOST
  value: "0.0.0.0"
- name: TTC_TASK_STREAM_REPLICAS
  value: {{ .Values.nats.streamReplicas | quote }}
{{- if .Values.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.otlpEndpoint | quote }}
{{- end }}
{{- if not .Values.nats.enabled }}
{{- $secret := .Values.nats.external.existingSecret }}
{{- if eq .Values.nats.external.credentialsKind "password" }}
- name: TTC_NATS_USER
  valueFrom:
    secretKeyRef: { name: {{ $secret | quote }}, key: user }
- name: TTC_NATS_PASSWORD_FILE
  value: /var/run/ttc/nats/password
{{- else if eq .Values.nats.external.credentialsKind "nkey" }}
- name: TTC_NATS_NKEY_SEED_FILE
  value: /var/run/ttc/nats/nkey.seed
{{- else if eq .Values.nats.external.credentialsKind "creds" }}
- name: TTC_NATS_CREDS_FILE
  value: /var/run/ttc/nats/user.creds
{{- end }}
{{- if .Values.nats.external.tls }}
- name: TTC_NATS_CA_FILE
  value: /var/run/ttc/nats/ca.crt
{{- end }}
{{- end }}
{{- end -}}

{{/* Extra TTC_* settings from a map, in a stable order. */}}
{{- define "ttc.extraEnv" -}}
{{- range $k, $v := . }}
- name: {{ $k }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end -}}

{{/* Volumes every ttc pod has: a writable /tmp (the root filesystem is read-only) and the NATS credentials. */}}
{{- define "ttc.commonVolumes" -}}
- name: tmp
  emptyDir: {}
{{- if and (not .Values.nats.enabled) (or .Values.nats.external.tls (ne .Values.nats.external.credentialsKind "none")) }}
- name: nats-credentials
  secret:
    secretName: {{ required "nats.external.existingSecret is required with NATS credentials or TLS" .Values.nats.external.existingSecret | quote }}
    defaultMode: 0400
{{- end }}
{{- end -}}

{{- define "ttc.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if and (not .Values.nats.enabled) (or .Values.nats.external.tls (ne .Values.nats.external.credentialsKind "none")) }}
- name: nats-credentials
  mountPath: /var/run/ttc/nats
  readOnly: true
{{- end }}
{{- end -}}

{{/* Liveness and readiness of a service on its metrics port (worker, verifier). */}}
{{- define "ttc.httpProbes" -}}
livenessProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: metrics }
  periodSeconds: 5
  failureThreshold: 2
startupProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 2
  failureThreshold: 60
{{- end -}}

{{/* NetworkPolicy egress every ttc service needs: DNS, and NATS (the bundled pods, or any address on 4222 for an external NATS). */}}
{{- define "ttc.netpol.baseEgress" -}}
- ports:
    - { port: 53, protocol: UDP }
    - { port: 53, protocol: TCP }
- ports:
    - { port: 4222, protocol: TCP }
  {{- if .Values.nats.enabled }}
  to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/instance: {{ .Release.Name }}
          app.kubernetes.io/name: nats
  {{- end }}
{{- end -}}
{{- define "ttc.netpol.metricsIngress" -}}
- ports:
    - { port: metrics, protocol: TCP }
  {{- if .Values.networkPolicy.metricsFrom }}
  from:
    {{- toYaml .Values.networkPolicy.metricsFrom | nindent 4 }}
  {{- else }}
  from:
    - namespaceSelector: {}
  {{- end }}
{{- end -}}
