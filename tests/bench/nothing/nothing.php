<?php
/**
 * `make bench`: a server module that does nothing, the page's floor. Its product details page
 * is what any module's page costs in the stand-in (the module loaded, its parameters built, its
 * ClientArea called and the returned panel put in the page), without any work of its own: no
 * API call, no datastore, no template engine. Ours and the reference's pages are measured
 * against it, and its throughput over the reference's is the most any module could reach.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

function nothing_MetaData(): array
{
    return ['DisplayName' => 'Nothing (bench floor)', 'APIVersion' => '1.1', 'RequiresServer' => true];
}

function nothing_ClientArea(array $params): string
{
    return '<div class="nothing-panel">' . htmlspecialchars((string) $params['domain'], ENT_QUOTES) . '</div>';
}
