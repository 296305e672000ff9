# TEST STAND-IN for proprietary WHMCS: the stand-in's MySQL database and its user, as the private
# MariaDB (mariadb.sh) and the Galera cluster (tests/cluster/galera.sh) make them. Sourced.
DB=whmcs
DB_USER=whmcs
DB_PASS=whmcs-standin

# The statements that make them, for a root client's standard input.
standin_database_sql() {
  cat <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON \`$DB\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL ON \`$DB\`.* TO '$DB_USER'@'localhost';
SQL
}
