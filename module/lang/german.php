<?php
/**
 * Katapult for WHMCS: client-area text, German (Deutsch). Missing strings fall back to English.
 * See english.php for how to change or add strings.
 */

$_LANG['katapult_overview_title'] = 'Ihr Server';
$_LANG['katapult_building_title'] = 'Ihr Server wird eingerichtet';
$_LANG['katapult_building_text'] = 'Katapult richtet Ihre virtuelle Maschine ein. Diese Ansicht aktualisiert sich von selbst, sobald sie bereit ist; das dauert meist ein bis zwei Minuten.';
$_LANG['katapult_building_elapsed'] = 'Zeit seit der Einrichtung Ihrer Bestellung:';
$_LANG['katapult_building_slow'] = 'Das dauert länger als üblich. Wir wurden benachrichtigt und kümmern uns darum; Sie müssen nichts tun.';

$_LANG['katapult_state_started'] = 'Läuft';
$_LANG['katapult_state_stopped'] = 'Gestoppt';
$_LANG['katapult_state_starting'] = 'Startet';
$_LANG['katapult_state_stopping'] = 'Wird gestoppt';
$_LANG['katapult_state_shutting_down'] = 'Fährt herunter';
$_LANG['katapult_state_resetting'] = 'Startet neu';
$_LANG['katapult_state_allocating'] = 'Wird eingerichtet';
$_LANG['katapult_state_allocated'] = 'Eingerichtet';
$_LANG['katapult_state_migrating'] = 'Wird verschoben';
$_LANG['katapult_state_transferring'] = 'Wird verschoben';
$_LANG['katapult_state_failed'] = 'Fehlgeschlagen';
$_LANG['katapult_state_orphaned'] = 'Nicht verfügbar';
$_LANG['katapult_state_unknown'] = 'Unbekannt';

$_LANG['katapult_hostname'] = 'Hostname';
$_LANG['katapult_ipv4'] = 'IPv4-Adresse';
$_LANG['katapult_ipv6'] = 'IPv6-Adresse';
$_LANG['katapult_ssh'] = 'SSH';
$_LANG['katapult_username'] = 'Benutzername';
$_LANG['katapult_password'] = 'Passwort';
$_LANG['katapult_password_note'] = 'Das Passwort, mit dem Ihr Server eingerichtet wurde. Wenn Sie es auf dem Server geändert haben, gilt dieses nicht mehr.';
$_LANG['katapult_package'] = 'Paket';
$_LANG['katapult_data_center'] = 'Rechenzentrum';
$_LANG['katapult_none_yet'] = 'Noch keine';
$_LANG['katapult_show'] = 'Anzeigen';
$_LANG['katapult_hide'] = 'Verbergen';
$_LANG['katapult_copy'] = 'Kopieren';

$_LANG['katapult_action_start'] = 'Starten';
$_LANG['katapult_action_stop'] = 'Stoppen';
$_LANG['katapult_action_shutdown'] = 'Herunterfahren';
$_LANG['katapult_action_reset'] = 'Neu starten';
$_LANG['katapult_confirm_stop'] = 'Den Server jetzt stoppen? Das ist wie Stecker ziehen: nicht Gespeichertes geht verloren.';
$_LANG['katapult_confirm_shutdown'] = 'Den Server herunterfahren? Er wird gebeten, seine Programme zu beenden und sich auszuschalten.';
$_LANG['katapult_confirm_reset'] = 'Den Server jetzt neu starten? Das ist wie der Reset-Knopf: nicht Gespeichertes geht verloren.';
$_LANG['katapult_console'] = 'Konsole öffnen';
$_LANG['katapult_console_hint'] = 'Die Konsole öffnet sich in einem neuen Fenster. Meldet sie, dass Sie nicht angemeldet werden konnten, laden Sie diese Seite neu: Der Server ist vielleicht gestoppt; oder versuchen Sie es in einer Minute erneut.';
$_LANG['katapult_please_wait'] = 'Einen Moment bitte…';

$_LANG['katapult_use_panel'] = 'Bitte nutzen Sie die Schaltflächen im Bereich Ihres Servers auf dieser Seite.';
$_LANG['katapult_link_expired'] = 'Dieser Link ist abgelaufen oder wurde schon benutzt, daher wurde nichts ausgeführt. Bitte nutzen Sie die Schaltflächen unten, sie sind aktuell.';
$_LANG['katapult_not_active'] = 'Dieser Dienst ist nicht aktiv, daher kann sein Server hier nicht gesteuert werden.';
$_LANG['katapult_not_yours'] = 'Dieser Server gehört zu einem anderen Konto.';
$_LANG['katapult_unavailable'] = 'Die Angaben zu Ihrem Server können gerade nicht angezeigt werden. Bitte versuchen Sie es in ein paar Minuten erneut; falls das anhält, wenden Sie sich an den Support.';
$_LANG['katapult_not_provisioned'] = 'Zu diesem Dienst gibt es noch keinen Server.';
$_LANG['katapult_build_failed'] = 'Ihr Server konnte nicht eingerichtet werden. Wir wurden benachrichtigt und richten ihn erneut ein; Sie müssen nichts tun.';
$_LANG['katapult_vm_missing'] = 'Der Server dieses Dienstes wurde nicht gefunden. Bitte wenden Sie sich an den Support.';
$_LANG['katapult_action_failed'] = 'Das hat diesmal nicht geklappt, und es wurde nichts geändert. Bitte versuchen Sie es in einer Minute erneut; wenn es weiter passiert, wenden Sie sich an den Support.';
$_LANG['katapult_console_failed'] = 'Die Konsole konnte nicht geöffnet werden. Ist Ihr Server gestoppt, starten Sie ihn zuerst; sonst versuchen Sie es bitte in einer Minute erneut.';

// Der Abschnitt „Verwalten“: Reverse DNS jeder Adresse und der Name des Servers.
$_LANG['katapult_rdns_title'] = 'Reverse DNS';
$_LANG['katapult_rdns_help'] = 'Der Name, auf den jede Adresse Ihres Servers zurückverweist (ihr PTR-Eintrag). Lassen Sie ein Feld leer, um zum Standardnamen zurückzukehren.';
$_LANG['katapult_rdns_placeholder'] = 'mail.example.com';
$_LANG['katapult_save'] = 'Speichern';
$_LANG['katapult_rename_title'] = 'Servername';
$_LANG['katapult_display_name'] = 'Anzeigename';
$_LANG['katapult_new_hostname'] = 'Hostname';
$_LANG['katapult_hostname_help'] = 'Ein neuer Hostname ändert den Adressnamen (FQDN) Ihres Servers und die Domain dieses Dienstes. Der Hostname im Betriebssystem des Servers bleibt, bis Sie ihn dort ändern.';
$_LANG['katapult_rdns_invalid'] = 'Das ist kein Hostname, daher wurde nichts geändert. Verwenden Sie Buchstaben, Ziffern, Bindestriche und Punkte, etwa mail.example.com.';
$_LANG['katapult_rdns_too_many'] = 'Sie haben Reverse DNS in den letzten Minuten sehr oft geändert. Bitte warten Sie zehn Minuten und versuchen Sie es dann erneut.';
$_LANG['katapult_rdns_not_yours'] = 'Diese Adresse gehört nicht zu diesem Server, daher wurde nichts geändert.';
$_LANG['katapult_rdns_refused'] = 'Dieser Name wurde für diese Adresse nicht angenommen, daher wurde nichts geändert. Prüfen Sie, ob es ein vollständiger Hostname ist, der Ihnen gehört, und versuchen Sie es erneut.';
$_LANG['katapult_rename_bad_name'] = 'Bitte geben Sie dem Server einen Namen mit 1 bis 100 Zeichen. Es wurde nichts geändert.';
$_LANG['katapult_rename_bad_hostname'] = 'Das ist kein Hostname, daher wurde nichts geändert. Verwenden Sie bis zu 63 Buchstaben, Ziffern und Bindestriche, ohne Punkte und ohne Bindestrich am Anfang oder Ende.';
$_LANG['katapult_hostname_not_offered'] = 'Der Hostname dieses Servers kann hier nicht geändert werden, daher wurde nichts geändert. Bitte wenden Sie sich an den Support.';
$_LANG['katapult_rename_refused'] = 'Dieser Name wurde nicht angenommen (der Hostname ist vielleicht schon vergeben), daher wurde nichts geändert. Bitte versuchen Sie einen anderen.';
// Der Abschnitt Sicherungen im Panel (eine Katapult-Sicherungsrichtlinie des Servers).
$_LANG['katapult_backups_title'] = 'Sicherungen';
$_LANG['katapult_backups_kept'] = 'Aufbewahrte Sicherungen';
$_LANG['katapult_backups_kept_unit'] = 'tägliche Sicherungen, die älteste wird durch die neueste ersetzt';
$_LANG['katapult_backups_schedule'] = 'Erstellt';
$_LANG['katapult_backups_daily_at'] = 'täglich um';
$_LANG['katapult_backups_next_run'] = 'Nächste Sicherung';
$_LANG['katapult_backups_time'] = 'Uhrzeit der täglichen Sicherung';
$_LANG['katapult_backups_change_time'] = 'Uhrzeit ändern';
$_LANG['katapult_backups_none'] = 'Dieser Dienst hat keine Sicherungen. Sie können sie durch ein Upgrade seiner Optionen hinzufügen.';
$_LANG['katapult_backup_time_not_offered'] = 'Diese Uhrzeit bietet dieser Dienst nicht an, daher wurde nichts geändert. Bitte wählen Sie eine aus der Liste.';
