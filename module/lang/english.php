<?php
/**
 * Katapult for WHMCS: client-area text, English. Every language falls back to these strings.
 *
 * To change a string without editing this file, copy it to overrides/lang/english.php (in the
 * module folder) and keep only the lines you change; to add a language, copy this file to
 * lang/<language>.php (the WHMCS language name, e.g. french.php) and translate it.
 */

$_LANG['katapult_overview_title'] = 'Your server';
$_LANG['katapult_building_title'] = 'Your server is being built';
$_LANG['katapult_building_text'] = 'Katapult is building your virtual machine. This panel updates by itself when it is ready; it usually takes a minute or two.';
$_LANG['katapult_building_elapsed'] = 'Time since your order was set up:';
$_LANG['katapult_building_slow'] = 'This is taking longer than usual. We have been told and are looking into it; there is nothing you need to do.';

$_LANG['katapult_state_started'] = 'Running';
$_LANG['katapult_state_stopped'] = 'Stopped';
$_LANG['katapult_state_starting'] = 'Starting';
$_LANG['katapult_state_stopping'] = 'Stopping';
$_LANG['katapult_state_shutting_down'] = 'Shutting down';
$_LANG['katapult_state_resetting'] = 'Restarting';
$_LANG['katapult_state_allocating'] = 'Setting up';
$_LANG['katapult_state_allocated'] = 'Set up';
$_LANG['katapult_state_migrating'] = 'Moving';
$_LANG['katapult_state_transferring'] = 'Moving';
$_LANG['katapult_state_failed'] = 'Failed';
$_LANG['katapult_state_orphaned'] = 'Unavailable';
$_LANG['katapult_state_unknown'] = 'Unknown';

$_LANG['katapult_hostname'] = 'Hostname';
$_LANG['katapult_ipv4'] = 'IPv4 address';
$_LANG['katapult_ipv6'] = 'IPv6 address';
$_LANG['katapult_ssh'] = 'SSH';
$_LANG['katapult_username'] = 'Username';
$_LANG['katapult_password'] = 'Password';
$_LANG['katapult_password_note'] = 'The password your server was built with. If you have changed it on the server, this one no longer works.';
$_LANG['katapult_package'] = 'Package';
$_LANG['katapult_data_center'] = 'Data center';
$_LANG['katapult_none_yet'] = 'None yet';
$_LANG['katapult_show'] = 'Show';
$_LANG['katapult_hide'] = 'Hide';
$_LANG['katapult_copy'] = 'Copy';

$_LANG['katapult_action_start'] = 'Start';
$_LANG['katapult_action_stop'] = 'Stop';
$_LANG['katapult_action_shutdown'] = 'Shut down';
$_LANG['katapult_action_reset'] = 'Restart';
$_LANG['katapult_confirm_stop'] = 'Stop the server now? This is like pulling the power cable: anything not saved on it is lost.';
$_LANG['katapult_confirm_shutdown'] = 'Shut the server down? It is asked to close its programs and power off.';
$_LANG['katapult_confirm_reset'] = 'Restart the server now? This is like pressing its reset button: anything not saved on it is lost.';
$_LANG['katapult_console'] = 'Open console';
// Under the console button: when the console cannot open, WHMCS shows the client only its own
// generic "unable to log in" sentence, so the panel says beforehand what to do then.
$_LANG['katapult_console_hint'] = 'The console opens in a new window. If it says you could not be logged in, reload this page: the server may have stopped, or try again in a minute.';
$_LANG['katapult_please_wait'] = 'Please wait a moment…';

$_LANG['katapult_use_panel'] = "Please use the buttons in your server's panel on this page.";
$_LANG['katapult_link_expired'] = 'This link has expired or was already used, so nothing was done. Please use the buttons below, which are fresh.';
$_LANG['katapult_not_active'] = 'This service is not active, so its server cannot be controlled here.';
$_LANG['katapult_not_yours'] = 'This server belongs to another account.';
$_LANG['katapult_unavailable'] = 'Your server\'s details cannot be shown right now. Please try again in a few minutes; if this goes on, contact support.';
$_LANG['katapult_not_provisioned'] = 'This service has no server yet.';
$_LANG['katapult_build_failed'] = 'Your server could not be built. We have been told and will build it again; there is nothing you need to do.';
$_LANG['katapult_vm_missing'] = 'The server of this service could not be found. Please contact support.';
$_LANG['katapult_action_failed'] = 'That did not work this time, and nothing was changed. Please try again in a minute; if it keeps happening, contact support.';
$_LANG['katapult_console_failed'] = 'The console could not be opened. If your server is stopped, start it first; otherwise please try again in a minute.';

// The "Manage" section: reverse DNS of each address, and the server's name.
$_LANG['katapult_rdns_title'] = 'Reverse DNS';
$_LANG['katapult_rdns_help'] = 'The name each address of your server resolves back to (its PTR record). Leave a box empty to go back to the default name.';
$_LANG['katapult_rdns_placeholder'] = 'mail.example.com';
$_LANG['katapult_save'] = 'Save';
$_LANG['katapult_rename_title'] = 'Server name';
$_LANG['katapult_display_name'] = 'Display name';
$_LANG['katapult_new_hostname'] = 'Hostname';
$_LANG['katapult_hostname_help'] = 'A new hostname changes your server\'s address name (FQDN) and this service\'s domain. The hostname inside the server\'s operating system stays as it is until you change it there.';
$_LANG['katapult_rdns_invalid'] = 'That is not a hostname, so nothing was changed. Use letters, digits, hyphens and dots, like mail.example.com.';
$_LANG['katapult_rdns_too_many'] = 'You have changed reverse DNS many times in the last few minutes. Please wait ten minutes and try again.';
$_LANG['katapult_rdns_not_yours'] = 'That address does not belong to this server, so nothing was changed.';
$_LANG['katapult_rdns_refused'] = 'That name was not accepted for this address, so nothing was changed. Check that it is a full hostname you own, then try again.';
$_LANG['katapult_rename_bad_name'] = 'Please give the server a name of 1 to 100 characters. Nothing was changed.';
$_LANG['katapult_rename_bad_hostname'] = 'That is not a hostname, so nothing was changed. Use up to 63 letters, digits and hyphens, without dots and not starting or ending with a hyphen.';
$_LANG['katapult_hostname_not_offered'] = 'The hostname of this server cannot be changed here, so nothing was changed. Please contact support.';
$_LANG['katapult_rename_refused'] = 'That name was not accepted (the hostname may already be taken), so nothing was changed. Please try another.';
// The backups section of the panel (a Katapult disk backup policy on the server).
$_LANG['katapult_backups_title'] = 'Backups';
$_LANG['katapult_backups_kept'] = 'Backups kept';
$_LANG['katapult_backups_kept_unit'] = 'daily backups, the oldest replaced by the newest';
$_LANG['katapult_backups_schedule'] = 'Taken';
$_LANG['katapult_backups_daily_at'] = 'every day at';
$_LANG['katapult_backups_next_run'] = 'Next backup';
$_LANG['katapult_backups_time'] = 'Time of the daily backup';
$_LANG['katapult_backups_change_time'] = 'Change time';
$_LANG['katapult_backups_none'] = 'This service has no backups. You can add them by upgrading its options.';
$_LANG['katapult_backup_time_not_offered'] = 'That time is not one this service offers, so nothing was changed. Please choose one from the list.';
