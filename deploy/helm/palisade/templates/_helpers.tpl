{{/* Base name of every object: fullnameOverride, else the release name when it holds "palisade", else <release>-palisade. */}}
{{- define "palisade.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; selector labels add the component. */}}
{{- define "palisade.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: palisade
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: palisade
{{- end -}}

{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "palisade.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The database URL's Secret: the one named, or the one the chart writes from database.url. */}}
{{- define "palisade.databaseSecret" -}}
{{- if .Values.database.url -}}
{{- printf "%s-database" (include "palisade.fullname" .) -}}
{{- else -}}
{{- required "database.existingSecret or database.url is required" .Values.database.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "palisade.databaseEnv" -}}
- name: PALISADE_DB
  valueFrom:
    secretKeyRef:
      name: {{ include "palisade.databaseSecret" . }}
      key: {{ if .Values.database.url }}url{{ else }}{{ .Values.database.existingSecretKey }}{{ end }}
{{- end -}}

{{/*
Pod fields every Palisade pod shares: restricted Pod Security, no service account token unless the pod calls the
API, image pull secrets. Called with (dict "root" $ "automount" bool "component" name).
*/}}
{{- define "palisade.podSpecCommon" -}}
automountServiceAccountToken: {{ .automount }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (index .root.Values .component).nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (index .root.Values .component).tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (index .root.Values .component).affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Container fields every Palisade container shares. */}}
{{- define "palisade.containerCommon" -}}
image: {{ include "palisade.image" .root }}
imagePullPolicy: {{ .root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.containerSecurityContext | nindent 2 }}
resources:
  {{- toYaml (index .root.Values .component).resources | nindent 2 }}
{{- end -}}

{{/* Egress to DNS: kube-dns/CoreDNS in kube-system, on 53 over UDP and TCP. */}}
{{- define "palisade.egressDns" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
{{- end }}
{{/* Egress to the API server. It is not a pod: its address is only known as ports (the Service's and an endpoint's). */}}
{{- define "palisade.egressApiServer" -}}
- ports:
    {{- range .Values.networkPolicy.apiServerPorts }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
{{- end }}
