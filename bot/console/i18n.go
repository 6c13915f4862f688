package console

import (
	"fmt"
	"time"

	"github.com/senda-org/senda/bot/localtime"
)

// messages are the console's words: Spanish first, then English.
var messages = map[string][2]string{
	"senda":                      {"Senda · consola", "Senda · console"},
	"skip":                       {"Saltar al contenido", "Skip to content"},
	"nav_home":                   {"Inicio", "Home"},
	"uncalled":                   {"%d números sin confirmar por llamada (senda content check --launch)", "%d numbers not confirmed by a call (senda content check --launch)"},
	"nav_broadcasts":             {"Avisos", "Broadcasts"},
	"nav_stats":                  {"Estadísticas", "Figures"},
	"nav_content":                {"Contenido", "Content"},
	"nav_audit":                  {"Registro", "Audit trail"},
	"signed_in_as":               {"Sesión de", "Signed in as"},
	"sign_out":                   {"Salir", "Sign out"},
	"switch_language":            {"English", "Español"},
	"signin_title":               {"Entrar a la consola", "Sign in to the console"},
	"signin_help":                {"Escribe tu clave de administración (la que te dio quien instaló Senda). No la compartas.", "Type your admin token (the one whoever installed Senda gave you). Do not share it."},
	"token":                      {"Clave de administración", "Admin token"},
	"signin":                     {"Entrar", "Sign in"},
	"err_bad_token":              {"Esa clave no es válida. Revisa y vuelve a escribirla.", "That token is not valid. Check it and type it again."},
	"err_too_many":               {"Demasiadas claves equivocadas desde aquí: espera %d minutos antes de probar otra. La clave correcta sigue funcionando.", "Too many wrong tokens from here: wait %d minutes before trying another. The right token still works."},
	"err_csrf":                   {"El formulario caducó o no vino de esta consola. Vuelve a cargar la página e inténtalo otra vez.", "The form expired or did not come from this console. Reload the page and try again."},
	"err_signin_first":           {"Tu sesión terminó. Vuelve a entrar.", "Your session ended. Sign in again."},
	"err_unavailable":            {"No se pudo completar ahora (la base de datos no responde). Inténtalo en un momento.", "Could not finish now (the database does not answer). Try again in a moment."},
	"err_not_found":              {"No existe ese aviso.", "There is no such broadcast."},
	"error_title":                {"Algo salió mal", "Something went wrong"},
	"back_home":                  {"Volver al inicio", "Back to home"},
	"home_title":                 {"¿Funciona todo?", "Is everything working?"},
	"ok":                         {"Funciona", "Working"},
	"not_ok":                     {"Revisar", "Check"},
	"today":                      {"Hoy", "Today"},
	"people":                     {"Personas", "People"},
	"messages":                   {"Mensajes", "Messages"},
	"distress":                   {"Páginas de ayuda urgente", "Urgent-help pages"},
	"hidden_note":                {"Las cifras de 1 a 4 se muestran como «<5» para proteger a las personas.", "Figures from 1 to 4 show as \"<5\" to protect people."},
	"no_checks":                  {"No hay comprobaciones configuradas.", "No checks configured."},
	"bc_title":                   {"Avisos", "Broadcasts"},
	"bc_new":                     {"Nuevo aviso", "New broadcast"},
	"topic":                      {"Tema", "Topic"},
	"text_in":                    {"Texto en", "Text in"},
	"text_help":                  {"Corto y claro. Se envía con la línea de encabezado antes.", "Short and clear. It goes with the header line before it."},
	"when":                       {"Fecha y hora (hora local)", "Date and time (local time)"},
	"when_help":                  {"Déjalo vacío para enviar ahora.", "Leave it empty to send now."},
	"when_text":                  {"O escribe la fecha", "Or type the date"},
	"when_text_help":             {"Por ejemplo: lunes 9:00, mañana 8:30, 30/11/2026 9:00", "For example: monday 9:00, tomorrow 8:30, 30/11/2026 9:00"},
	"urgent":                     {"Urgente (puede salir por WhatsApp en horas de silencio)", "Urgent (may go on WhatsApp during quiet hours)"},
	"template":                   {"Plantilla de WhatsApp (para quien no escribió en 24 horas)", "WhatsApp template (for people who have not written in 24 hours)"},
	"no_template":                {"Sin plantilla", "No template"},
	"tplvar_title":               {"Datos de la plantilla «%s»", "Template «%s» details"},
	"tplvar_help":                {"La plantilla tiene espacios para llenar. Escribe cada uno: una línea, sin datos de personas.", "The template has blanks to fill in. Type each one: one line, nothing about anyone."},
	"tplvar_label":               {"Valor para {{%s}}", "Value for {{%s}}"},
	"tplvar_sample":              {"Ejemplo de cuando se aprobó: %s", "Example from its approval: %s"},
	"tplvar_preview":             {"Así llega con la plantilla (fuera de las 24 horas)", "How it arrives with the template (outside 24 hours)"},
	"tplvar_nojs":                {"Si cambias de plantilla, pulsa «Vista previa» para ver sus campos.", "If you change the template, press «Preview» to see its fields."},
	"tplvar_empty":               {"Falta el valor para {{%s}} de la plantilla: WhatsApp no envía plantillas con espacios vacíos.", "The template's {{%s}} has no value: WhatsApp does not send templates with empty blanks."},
	"tplvar_long":                {"El valor para {{%s}} es demasiado largo (máximo %d caracteres).", "The value for {{%s}} is too long (at most %d characters)."},
	"tplvar_lines":               {"El valor para {{%s}} debe ir en una sola línea, sin tabulaciones ni muchos espacios seguidos.", "The value for {{%s}} must be one line, without tabs or many spaces in a row."},
	"tplvar_extra":               {"La plantilla no tiene {{%s}}; quita ese valor (plantilla «%s»).", "The template has no {{%s}}; remove that value (template «%s»)."},
	"tplvar_bad_key":             {"La plantilla usa {{%s}}, que la consola no sabe llenar: «%s» debe numerar sus espacios del 1 al %d. Corrígela en Twilio.", "The template uses {{%s}}, which the console cannot fill: «%s» must number its blanks 1 to %d. Fix it in Twilio."},
	"templates_off":              {"No hay plantillas de WhatsApp configuradas: quien no escribió en las últimas 24 horas no recibirá el aviso por WhatsApp.", "No WhatsApp templates configured: people who have not written in the last 24 hours will not get it on WhatsApp."},
	"preview":                    {"Vista previa", "Preview"},
	"schedule":                   {"Programar aviso", "Schedule broadcast"},
	"lock_screen":                {"Pantalla bloqueada", "Lock screen"},
	"new_message":                {"Mensaje nuevo", "New message"},
	"chat":                       {"En el chat", "In the chat"},
	"count_sms":                  {"SMS", "SMS"},
	"count_wa":                   {"WhatsApp", "WhatsApp"},
	"chars":                      {"caracteres", "characters"},
	"count_sms_line":             {"SMS: %d / %d · %s · %d %s", "SMS: %d / %d · %s · %d %s"},
	"count_wa_line":              {"WhatsApp: %d caracteres", "WhatsApp: %d characters"},
	"sms_part":                   {"parte de SMS", "SMS part"},
	"sms_parts":                  {"partes de SMS", "SMS parts"},
	"sms_unmapped":               {"El SMS no puede llevar %s (saldría «?»): quítalo para poder enviar el aviso.", "SMS cannot carry %s (it would arrive as «?»): remove it to send the broadcast."},
	"sms_too_long":               {"Demasiado largo para el SMS: quita %d caracteres.", "Too long for the SMS: remove %d characters."},
	"segments":                   {"partes de SMS", "SMS parts"},
	"encoding":                   {"codificación", "encoding"},
	"test_title":                 {"Enviar una prueba", "Send a test"},
	"test_help":                  {"Escribe el número cada vez. Se envía una sola vez y no se guarda.", "Type the number each time. It is sent once and not kept."},
	"test_number":                {"Número (con +502…)", "Number (with +502…)"},
	"channel":                    {"Canal", "Channel"},
	"send_test":                  {"Enviar prueba", "Send test"},
	"test_sent":                  {"Prueba enviada. Revisa el teléfono.", "Test sent. Check the phone."},
	"test_failed":                {"La prueba no salió. Revisa el número y la configuración de Twilio en Inicio.", "The test did not go out. Check the number and the Twilio settings on Home."},
	"test_bad_number":            {"Escribe el número completo con + y código de país, por ejemplo +50255550000.", "Type the whole number with + and country code, e.g. +50255550000."},
	"test_no_text":               {"Escribe primero el texto del aviso; la prueba envía ese texto.", "Write the broadcast text first; the test sends that text."},
	"test_off":                   {"Las pruebas no están disponibles: no hay envío configurado.", "Tests are not available: sending is not configured."},
	"bc_list":                    {"Avisos recientes", "Recent broadcasts"},
	"bc_none":                    {"Todavía no hay avisos.", "No broadcasts yet."},
	"bc_created":                 {"Aviso programado.", "Broadcast scheduled."},
	"bc_cancelled":               {"Aviso cancelado: lo que no salió ya no saldrá.", "Broadcast cancelled: what was not sent will not be."},
	"bc_problems":                {"Revisa el aviso:", "Check the broadcast:"},
	"cancel":                     {"Cancelar", "Cancel"},
	"cancel_confirm":             {"¿Cancelar el aviso «%s» de %s? Lo que no salió ya no saldrá.", "Cancel the «%s» broadcast of %s? What was not sent will not be."},
	"cancel_yes":                 {"Sí, cancelar este aviso", "Yes, cancel this broadcast"},
	"send_at":                    {"Envío", "Sends"},
	"progress":                   {"Progreso", "Progress"},
	"progress_of":                {"%d de %d", "%d of %d"},
	"sent":                       {"enviados", "sent"},
	"delivered":                  {"entregados", "delivered"},
	"failed":                     {"fallidos", "failed"},
	"skipped":                    {"no enviados", "not sent"},
	"reasons":                    {"Motivos", "Reasons"},
	"waiting":                    {"En espera", "Waiting"},
	"state_scheduled":            {"Programado", "Scheduled"},
	"state_sending":              {"Enviando", "Sending"},
	"state_done":                 {"Terminado", "Done"},
	"state_cancelled":            {"Cancelado", "Cancelled"},
	"by":                         {"por", "by"},
	"urgent_tag":                 {"urgente", "urgent"},
	"stats_title":                {"Estadísticas", "Figures"},
	"from":                       {"Desde", "From"},
	"to":                         {"Hasta", "To"},
	"show":                       {"Mostrar", "Show"},
	"download_csv":               {"Descargar CSV", "Download CSV"},
	"people_per_day":             {"Personas por día", "People per day"},
	"channels":                   {"Canales", "Channels"},
	"languages":                  {"Idiomas", "Languages"},
	"top_topics":                 {"Temas más visitados", "Most visited topics"},
	"keywords":                   {"Palabras clave", "Keywords"},
	"opt_ins":                    {"Suscripciones", "Opt-ins"},
	"opt_outs":                   {"Bajas", "Opt-outs"},
	"broadcasts":                 {"Avisos enviados", "Broadcast messages"},
	"total_people":               {"Personas distintas en el periodo", "Distinct people in the period"},
	"no_data":                    {"Sin datos en este periodo.", "No data in this period."},
	"stats_privacy":              {"Cifras anónimas por día: no hay números, nombres ni textos. Las cifras de 1 a 4 se muestran como «<5».", "Anonymous daily figures: no numbers, names or texts. Figures from 1 to 4 show as \"<5\"."},
	"content_title":              {"Contenido", "Content"},
	"sim_title":                  {"Simulador", "Simulator"},
	"phrase_title":               {"Probar una frase", "Try a phrase"},
	"phrase_help":                {"Cómo se lee una frase escrita como primer mensaje: la página a la que llega, su puntaje y la siguiente. Si no llega donde debe, agrega ejemplos en understanding/ y la frase en tests.yaml.", "How a phrase sent as a first message is read: the page it reaches, its score and the runner-up. If it does not reach the right page, add examples in understanding/ and the phrase to tests.yaml."},
	"phrase_text":                {"Frase", "Phrase"},
	"phrase_try":                 {"Probar", "Try"},
	"phrase_reaches":             {"Llega a", "Reaches"},
	"phrase_best":                {"Página más probable", "Likeliest page"},
	"phrase_runner":              {"Siguiente", "Runner-up"},
	"sim_help":                   {"Habla con el contenido como lo haría una persona. No se guarda nada.", "Talk to the content as a person would. Nothing is kept."},
	"sim_text":                   {"Mensaje", "Message"},
	"sim_send":                   {"Enviar", "Send"},
	"sim_restart":                {"Empezar de nuevo", "Start again"},
	"sim_you":                    {"Tú", "You"},
	"sim_line":                   {"Senda", "Senda"},
	"sim_effect_sub":             {"(En la línea real se suscribiría a «%s».)", "(On the real line this would subscribe to \"%s\".)"},
	"sim_effect_unsub":           {"(En la línea real se daría de baja de «%s».)", "(On the real line this would unsubscribe from \"%s\".)"},
	"sim_effect_all":             {"(En la línea real se borrarían todas sus suscripciones.)", "(On the real line every subscription would be deleted.)"},
	"sim_effect_erase":           {"(En la línea real se borraría la conversación.)", "(On the real line the conversation would be erased.)"},
	"check_title":                {"Revisión del contenido", "Content check"},
	"check_errors":               {"Errores", "Errors"},
	"check_warnings":             {"Avisos de revisión", "Warnings"},
	"check_none":                 {"Sin errores ni avisos.", "No errors or warnings."},
	"check_sizes":                {"Tamaño de cada respuesta", "Size of each reply"},
	"node":                       {"Nodo", "Node"},
	"sms_pages":                  {"Páginas SMS", "SMS pages"},
	"wa_msgs":                    {"Mensajes WhatsApp", "WhatsApp messages"},
	"reviewed":                   {"Revisado", "Reviewed"},
	"stale":                      {"revisar datos", "review facts"},
	"graph_title":                {"Mapa del menú", "Menu map"},
	"graph_help":                 {"Cada caja es una pantalla; las líneas van de un menú a sus opciones.", "Each box is a screen; lines go from a menu to its options."},
	"audit_title":                {"Registro", "Audit trail"},
	"audit_help":                 {"Quién hizo qué y cuándo. Se muestra el nombre de la clave, nunca la clave.", "Who did what and when. The token's name shows, never the token."},
	"when_col":                   {"Cuándo", "When"},
	"who":                        {"Quién", "Who"},
	"what":                       {"Qué", "What"},
	"detail":                     {"Detalle", "Detail"},
	"audit_none":                 {"Todavía no hay acciones.", "No actions yet."},
	"action_create":              {"creó un aviso", "created a broadcast"},
	"action_cancel":              {"canceló un aviso", "cancelled a broadcast"},
	"action_test":                {"envió una prueba", "sent a test"},
	"action_signin":              {"entró", "signed in"},
	"action_signout":             {"salió", "signed out"},
	"detail_topic":               {"tema", "topic"},
	"detail_recipients":          {"destinatarios", "recipients"},
	"detail_send_at":             {"envío", "sends"},
	"detail_urgent":              {"urgente", "urgent"},
	"detail_sent":                {"enviados", "sent"},
	"detail_channel":             {"canal", "channel"},
	"yes":                        {"sí", "yes"},
	"no":                         {"no", "no"},
	"reason_unsubscribed":        {"se dio de baja antes del envío", "left before it was sent"},
	"reason_no_template":         {"WhatsApp, fuera de las 24 horas, y el aviso no tiene plantilla", "WhatsApp, outside the 24-hour window, and no template"},
	"reason_outside_window":      {"WhatsApp no aceptó el texto: fuera de las 24 horas", "WhatsApp refused the text: outside the 24-hour window"},
	"reason_templates_suspended": {"WhatsApp rechazó hace poco una plantilla para esta persona; se pausan 7 días", "WhatsApp recently declined a template for them; paused 7 days"},
	"reason_cancelled":           {"no salió porque se canceló el aviso", "not sent because the broadcast was cancelled"},
	"reason_retries_exhausted":   {"se dejó de intentar tras errores temporales repetidos", "gave up after repeated temporary errors"},
	"reason_undelivered":         {"la compañía o WhatsApp no lo entregó", "the carrier or WhatsApp did not deliver it"},
	"reason_twilio":              {"error de Twilio %s", "Twilio error %s"},
	"wait_quiet_hours":           {"horas de silencio", "quiet hours"},
	"wait_daily_cap":             {"límite diario de WhatsApp", "WhatsApp daily cap"},
	"wait_retry":                 {"reintento", "retry"},
}

func translate(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		m, ok = reportMessages[key] // reports.go
	}
	if !ok {
		return key
	}
	if lang == "en" && m[1] != "" {
		return m[1]
	}
	return m[0]
}

// formatTime writes t in loc the way staff read it, in the page's
// language: "lunes 30 de noviembre de 2026, 09:00" or "Monday 30 November
// 2026, 09:00".
func formatTime(t time.Time, loc *time.Location, lang string) string {
	if lang == "en" {
		return t.In(loc).Format("Monday 2 January 2006, 15:04")
	}
	return localtime.Format(t, loc)
}

// formatDate writes t's day in loc in the page's language.
func formatDate(t time.Time, loc *time.Location, lang string) string {
	if lang == "en" {
		return t.In(loc).Format("Monday 2 January 2006")
	}
	return localtime.FormatDate(t, loc)
}

// sentence says which time was understood, in the page's language.
func sentence(t time.Time, loc *time.Location, lang string) string {
	if lang == "en" {
		return fmt.Sprintf("Understood: %s (%s time).", formatTime(t, loc, lang), loc.String())
	}
	return localtime.Sentence(t, loc)
}
