/**
 * Names real traffic uses: user agents, login and API paths, Basic-auth areas, password files, probed
 * files. Drawn from at random per case so that no rule can be fitted to one spelling.
 */

export const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1',
];

export const CRAWLERS: ReadonlyArray<{ ua: string; v4: string }> = [
  { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', v4: '66.249.66' },
  { ua: 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36', v4: '66.249.79' },
  { ua: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', v4: '40.77.167' },
  { ua: 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', v4: '5.39.1' },
  { ua: 'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)', v4: '85.208.96' },
  { ua: 'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)', v4: '213.180.203' },
  { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)', v4: '17.241.75' },
  { ua: 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', v4: '173.252.107' },
];

/** Mobile and web API clients; `{app}` is the site's app name. */
export const API_CLIENT_UAS = [
  '{app}/5.3.1 (iPhone; iOS 17.6.1; Scale/3.00)',
  '{app}/5.3.0 (iPhone; iOS 18.1; Scale/3.00)',
  '{app}/5.2.7 (com.{app}.ios; build:5207; iOS 16.7.10) Alamofire/5.9.1',
  'okhttp/4.12.0',
  'okhttp/4.11.0',
  '{app}-android/5.3.1 (Linux; U; Android 14; Pixel 8 Build/AP2A.240905.003)',
  'Dart/3.5 (dart:io)',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
];

/** Server-to-server integrations that call an API on a schedule with a key of their own. */
export const INTEGRATIONS = [
  'inventory-sync/2.3 (+https://erp.{partner}.net)', 'Zapier', 'HubSpot Connect 2.0 (https://www.hubspot.com/)', 'python-requests/2.32.3',
  'Go-http-client/2.0', 'axios/1.7.7', 'Apache-HttpClient/4.5.14 (Java/17.0.12)', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
  'curl/8.5.0', 'Java/17.0.13', '{partner}-connector/1.8.2', 'Salesforce-Outbound-Notification/1.0', 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  'PostmanRuntime/7.42.0', 'Faraday v2.12.0', 'Ruby', 'Guzzle/7.9.2 curl/7.88.1 PHP/8.2.24',
];

/** Uptime monitors and health checkers: the clients that run every minute. */
export const MONITORS = [
  'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', 'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)',
  'Blackbox Exporter/0.25.0', 'check_http/v2.3.3 (monitoring-plugins 2.3.3)', 'Zabbix', 'Site24x7', 'StatusCake', 'Better Uptime Bot Chrome/119.0.0.0',
  'Datadog/Synthetics', 'NewRelicPinger/1.0 (1234567)',
];

export const LOAD_BALANCER_CHECKS = ['ELB-HealthChecker/2.0', 'kube-probe/1.29', 'kube-probe/1.31', 'GoogleHC/1.0', 'Consul Health Check', 'HAProxy health check', '-'];

export const ATTACK_TOOLS = [
  'Mozilla/4.0 (Hydra)', 'Mozilla/5.0 (Hydra)', 'python-requests/2.31.0', 'python-requests/2.28.2', 'Go-http-client/1.1', 'curl/7.68.0', 'curl/8.4.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.54 Safari/537.36',
  'Mozilla/5.0 (Windows NT 6.1; WOW64; rv:40.0) Gecko/20100101 Firefox/40.1', 'WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)',
  'Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)', 'Python-urllib/3.10', 'okhttp/3.12.1', 'Java/1.8.0_292', '-',
  'Apache-HttpClient/4.5.13 (Java/11.0.11)', 'fasthttp', 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
];

export const SCANNER_UAS = [
  'Mozilla/5.0 zgrab/0.x', 'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000562)', 'Fuzz Faster U Fool v2.1.0-dev', 'gobuster/3.6',
  'Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))', 'masscan/1.3 (https://github.com/robertdavidgraham/masscan)',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/115.0.0.0 Safari/537.36', 'Go-http-client/1.1',
  'Mozilla/5.0 (l9scan/2.0.134313e2131313e26313e2232313; +https://leakix.net)', 'python-requests/2.32.3', 'curl/7.88.1', '-',
  'Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0', 'Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)',
];

/** Form or JSON login endpoints (POST; a failed login answers 401). */
export const LOGIN_PATHS = [
  '/login', '/signin', '/sign-in', '/user/login', '/users/sign_in', '/account/login', '/accounts/login/', '/auth/login', '/session', '/sessions',
  '/api/auth/login', '/api/v1/login', '/api/session', '/portal/logon', '/j_security_check', '/admin/login', '/members/login.php', '/index.php/login',
  '/Account/LogOn', '/api/v2/auth/signin', '/identity/connect/authorize/callback', '/customer/account/loginPost/', '/app/login', '/secure/Login.jsp',
];

/** Basic-auth areas, including the whole site. */
export const BASIC_AREAS = [
  '/', '/admin/', '/client/', '/private/', '/staging/', '/internal/', '/backoffice/', '/stats/', '/munin/', '/nagios/', '/grafana/', '/phpmyadmin/',
  '/dav/', '/reports/', '/partners/', '/docs/internal/', '/kibana/', '/downloads/secure/', '/clients/', '/preview/', '/intranet/', '/webmail/',
];

export const AREA_PAGES = ['', 'index.html', 'dashboard', 'list?page=2', 'view/{n}', 'files/report-{n}.pdf', 'api/status', 'settings', 'css/main.css', 'js/app.js', 'img/logo.png', 'search?q={n}'];

export const API_PREFIXES = ['/api/', '/api/v1/', '/api/v2/', '/v1/', '/v2/', '/rest/', '/mobile/api/', '/services/', '/backend/api/', '/app/api/v3/', '/gateway/'];
export const API_RESOURCES = ['orders', 'orders/{n}', 'users/me', 'products', 'products/{n}', 'cart', 'notifications', 'feed', 'messages', 'devices/{n}', 'sync', 'inventory', 'invoices/{n}', 'events', 'search?q={n}', 'settings'];
export const TOKEN_PATHS = ['/oauth/token', '/oauth2/token', '/connect/token', '/api/auth/refresh', '/api/v1/token/refresh', '/auth/realms/main/protocol/openid-connect/token', '/token', '/api/token', '/api/v2/auth/refresh'];

export const PUBLIC_PAGES = [
  '/', '/about', '/contact', '/pricing', '/blog/', '/blog/{slug}', '/products/{n}', '/category/{slug}', '/search?q={slug}', '/faq', '/careers', '/news/{n}',
  '/docs/{slug}', '/help/{slug}', '/terms', '/privacy', '/en/', '/de/', '/sitemap.xml', '/robots.txt', '/feed/',
];
export const ASSETS = [
  '/static/css/main.{hex}.css', '/static/js/main.{hex}.js', '/static/js/vendor.{hex}.js', '/assets/img/hero.webp', '/assets/img/logo.svg', '/favicon.ico',
  '/fonts/inter-var.woff2', '/images/{slug}.jpg', '/apple-touch-icon.png', '/manifest.json', '/static/media/icons.{hex}.svg',
];
export const SLUGS = ['spring-sale', 'getting-started', 'release-notes', 'shipping', 'returns', 'boots', 'jackets', 'team', 'changelog', 'install', 'pricing-faq', 'security', 'roadmap', 'api', 'gift-cards'];

export const WP_PAGES = ['/', '/blog/', '/{year}/{month}/{slug}/', '/category/news/', '/feed/', '/wp-json/wp/v2/posts', '/wp-content/themes/astra/style.css', '/wp-content/uploads/{year}/{month}/{slug}.jpg', '/wp-includes/js/jquery/jquery.min.js', '/wp-admin/admin-ajax.php', '/?p={n}'];

export const USER_NAMES = [
  'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor',
  'walter', 'deploy', 'ops', 'backup', 'jenkins', 'monitor', 'reports', 'finance', 'support', 'm.schmidt', 'j.dupont', 'k.tanaka', 'admin',
];
export const ATTACK_USER_NAMES = ['admin', 'root', 'test', 'user', 'administrator', 'guest', 'info', 'support', 'webmaster', 'oracle', 'postgres', 'ubuntu', 'demo', 'manager', 'sales', 'office', 'backup', 'www', 'ftp', 'mysql'];

/** Files named by auth_basic_user_file / AuthUserFile. Mostly htpasswd-like names, but not always. */
export const PASSWORD_FILES_NGINX = [
  '/etc/nginx/.htpasswd', '/etc/nginx/.htpasswd', '/etc/nginx/htpasswd', '/etc/nginx/conf.d/.htpasswd', '/etc/nginx/htpasswd.d/admin.htpasswd',
  '/etc/nginx/auth/staff.passwd', '/etc/nginx/passwords', '/srv/app/conf/users', '/etc/nginx/basic_auth_users', '/var/www/private/.htpasswd',
];
export const PASSWORD_FILES_APACHE = [
  '/etc/apache2/.htpasswd', '/etc/apache2/.htpasswd', '/etc/httpd/conf/.htpasswd', '/var/www/.htpasswd', '/etc/apache2/passwords',
  '/etc/httpd/conf.d/users.db', '/srv/www/secure/.htusers', '/etc/apache2/auth/staff', '/usr/local/apache2/conf/htpasswd',
];

/** What sensitive-file probes ask for: secrets, VCS metadata, backups, keys. */
export const SENSITIVE_FILES = [
  '/.env', '/.env.local', '/.env.production', '/.env.bak', '/api/.env', '/app/.env', '/backend/.env', '/laravel/.env', '/.git/config', '/.git/HEAD',
  '/.git/index', '/.svn/entries', '/.hg/hgrc', '/.htpasswd', '/.htaccess', '/.aws/credentials', '/.ssh/id_rsa', '/.ssh/id_ed25519', '/id_rsa',
  '/server.key', '/privkey.pem', '/.npmrc', '/.pypirc', '/.docker/config.json', '/docker-compose.yml', '/.vscode/sftp.json', '/wp-config.php.bak',
  '/wp-config.php~', '/wp-config.php.save', '/config.php.bak', '/config.json', '/configuration.php.old', '/web.config', '/backup.sql', '/dump.sql',
  '/db.sql.gz', '/database.sql', '/backup.zip', '/backup.tar.gz', '/site.tar.gz', '/.DS_Store', '/phpinfo.php', '/info.php', '/.bash_history',
  '/config/database.yml', '/storage/logs/laravel.log', '/.kube/config', '/credentials.json', '/secrets.yml', '/settings.py',
];

/** What wide scanners walk through besides sensitive files: admin panels, CGI, known vulnerable paths. */
export const SCAN_PATHS = [
  '/admin', '/admin.php', '/administrator/', '/wp-admin/', '/wp-login.php', '/xmlrpc.php', '/phpmyadmin/', '/pma/', '/myadmin/', '/manager/html',
  '/solr/admin/', '/jenkins/login', '/console', '/actuator/env', '/actuator/health', '/server-status', '/cgi-bin/luci', '/cgi-bin/test.cgi',
  '/boaform/admin/formLogin', '/HNAP1/', '/owa/auth/logon.aspx', '/remote/login', '/vpn/index.html', '/+CSCOE+/logon.html', '/login.action',
  '/struts2-showcase/', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', '/index.php?s=/Index/\\think\\app/invokefunction', '/shell.php',
  '/wso.php', '/cmd.php', '/upload.php', '/api/v1/pods', '/v2/_catalog', '/telescope/requests', '/_ignition/execute-solution', '/debug/default/view',
  '/geoserver/web/', '/druid/index.html', '/nacos/', '/jmx-console/', '/web-console/', '/invoker/JMXInvokerServlet', '/axis2/axis2-admin/',
  '/user/register', '/sites/default/files/', '/magento_version', '/admin/config.php', '/panel/', '/cpanel', '/webmail/', '/autodiscover/autodiscover.xml',
  '/ecp/', '/mgmt/tm/sys', '/api/jsonws/invoke', '/dana-na/', '/global-protect/login.esp', '/sslvpn_logon.shtml', '/portal/redlion', '/login.cgi',
];

export const HOST_WORDS = ['shop', 'app', 'portal', 'www', 'api', 'intranet', 'cloud', 'my', 'store', 'status', 'dashboard', 'crm', 'files', 'dev'];
export const DOMAIN_WORDS = ['acme-logistics', 'brightwave', 'northwind', 'fernhill', 'lumen-health', 'kaskade', 'orbital-labs', 'pinecrest', 'hexa-bank', 'tidewater', 'qubit-games', 'sunfield'];
export const TLDS = ['com', 'de', 'fr', 'io', 'net', 'co.uk', 'nl', 'org', 'eu', 'app'];
export const APP_NAMES = ['shopmate', 'fitpal', 'tasknest', 'routewise', 'medibook', 'parkr', 'bankly', 'eventful'];
