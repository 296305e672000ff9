{* The PHP reference (tests/bench): what the module adds to the client's product page; the
   equivalent of views/client/virtual_machines/page.hbs. *}
<link rel="stylesheet" href="{$assets.css}">
{include file=$overview_template}
<script src="{$assets.js}" defer></script>
