{* The PHP reference (tests/bench): the VM overview, the equivalent of
   views/client/virtual_machines/overview.hbs (same values, same markup); English text inline,
   as the incumbent's overview.tpl. Every {$value} is HTML-escaped (escape_html). *}
<div class="katapult katapult-overview card panel panel-default mb-4" id="katapult-service-{$service_id}"
     data-katapult-service="{$service_id}" data-katapult-poll="{$poll_url}"
     data-katapult-poll-after="{$poll_after_ms}" data-katapult-version="{$version}">
  <div class="card-header panel-heading d-flex justify-content-between align-items-center">
    <h3 class="card-title panel-title mb-0">Your server</h3>
    <span class="katapult-vm-state badge badge-{$vm.state_class} label label-{$vm.state_class}" data-state="{$vm.state}" role="status" aria-live="polite">
      {if $vm.changing}<span class="katapult-spinner katapult-spinner-sm" aria-hidden="true"></span>{/if}
      {$vm.state_label}
    </span>
  </div>
  <div class="card-body panel-body">
    <dl class="katapult-details row mb-0">
      <dt class="col-sm-4">Hostname</dt>
      <dd class="col-sm-8"><code class="katapult-copyable">{$vm.fqdn}</code></dd>

      <dt class="col-sm-4">IPv4 address</dt>
      <dd class="col-sm-8">
        {foreach $vm.ipv4 as $ip}
          <div><code>{$ip}</code> <button type="button" class="btn btn-link btn-sm p-0 katapult-copy" data-katapult-copy="{$ip}">Copy</button></div>
        {foreachelse}
          <span class="text-muted">None yet</span>
        {/foreach}
      </dd>

      {if $vm.ipv6}
        <dt class="col-sm-4">IPv6 address</dt>
        <dd class="col-sm-8">
          {foreach $vm.ipv6 as $ip}
            <div><code>{$ip}</code> <button type="button" class="btn btn-link btn-sm p-0 katapult-copy" data-katapult-copy="{$ip}">Copy</button></div>
          {/foreach}
        </dd>
      {/if}

      {if $ssh}
        <dt class="col-sm-4">SSH</dt>
        <dd class="col-sm-8"><code>{$ssh}</code> <button type="button" class="btn btn-link btn-sm p-0 katapult-copy" data-katapult-copy="{$ssh}">Copy</button></dd>
      {/if}

      <dt class="col-sm-4">Username</dt>
      <dd class="col-sm-8"><code>{$username}</code></dd>

      {if $password}
        <dt class="col-sm-4">Password</dt>
        <dd class="col-sm-8">
          <div class="input-group input-group-sm katapult-secret">
            <input type="password" class="form-control katapult-password" value="{$password}" readonly
                   autocomplete="off" aria-label="Password" id="katapult-password-{$service_id}">
            <div class="input-group-append input-group-btn">
              <button type="button" class="btn btn-outline-secondary btn-default" data-katapult-reveal="katapult-password-{$service_id}"
                      data-katapult-show="Show" data-katapult-hide="Hide">Show</button>
              <button type="button" class="btn btn-outline-secondary btn-default katapult-copy" data-katapult-copy-from="katapult-password-{$service_id}">Copy</button>
            </div>
          </div>
          <small class="form-text text-muted help-block">The password your server was built with. If you have changed it on the server, this one no longer works.</small>
        </dd>
      {/if}

      {if $vm.package}
        <dt class="col-sm-4">Package</dt>
        <dd class="col-sm-8">{$vm.package}</dd>
      {/if}
      {if $vm.data_center}
        <dt class="col-sm-4">Data center</dt>
        <dd class="col-sm-8">{$vm.data_center}</dd>
      {/if}
    </dl>
  </div>
  <div class="card-footer panel-footer katapult-actions">
    {if $inactive}
      <span class="text-muted">{$inactive}</span>
    {else}
      {foreach $actions as $action}
        <form method="post" action="{$action.url}" class="katapult-action d-inline-block mr-1 mb-1">
          <input type="hidden" name="token" value="{$csrf}">
          <input type="hidden" name="knrp" value="{$knrp}">
          <button type="submit" class="btn btn-sm btn-{$action.style}" data-katapult-action="{$action.function}"{if $action.confirm} data-katapult-confirm="{$action.confirm}"{/if}>{$action.label}</button>
        </form>
      {/foreach}
      {if $console}
        <form method="post" action="{$console.url}" target="_blank" class="katapult-action d-inline-block mr-1 mb-1">
          <input type="hidden" name="token" value="{$csrf}">
          <input type="hidden" name="knrp" value="{$knrp}">
          <button type="submit" class="btn btn-sm btn-primary" data-katapult-action="console">Open console</button>
        </form>
      {/if}
      {if $vm.changing}
        <span class="text-muted small">Please wait a moment…</span>
      {/if}
    {/if}
  </div>
</div>
