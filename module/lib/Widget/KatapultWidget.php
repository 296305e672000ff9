<?php
/**
 * The admin dashboard widget (hook AdminHomeWidgets): builds pending, failed and timed out, the
 * last cron sync, the API budget left this minute and the drift findings, each linking to the
 * addon page (Addons › Katapult). The katapult extension reads and renders them.
 *
 * @see https://developers.whmcs.com/addon-modules/admin-dashboard-widgets/
 */

namespace WHMCS\Module\Server\Katapult\Widget;

class KatapultWidget extends \WHMCS\Module\AbstractWidget
{
    protected $title = 'Katapult';
    protected $description = 'Katapult builds, cron sync, API budget and drift';
    protected $weight = 150;
    protected $columns = 1;
    /** The budget is per minute: one API request a minute at most. */
    protected $cache = true;
    protected $cacheExpiry = 60;
    protected $requiredPermission = '';

    /** @return array<string, mixed> */
    public function getData()
    {
        return \Katapult\Module\dashboardWidgetData();
    }

    /** @param array<string, mixed> $data */
    public function generateOutput($data)
    {
        return \Katapult\Module\dashboardWidgetOutput(is_array($data) ? $data : [], dirname(__DIR__, 2));
    }
}
