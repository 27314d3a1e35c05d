#include <iostream>

#include <pqxx/pqxx>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

namespace treasure {

int run_chests_command(const ChestsCommand &command)
{
    try {
        pqxx::connection connection(command.dsn);
        pqxx::work transaction(connection);
        transaction.exec_params(
            "SELECT treasure.put_chest(id, $3::bigint) FROM generate_series($1::bigint, $2::bigint) AS id",
            command.first, command.first + command.count - 1, command.coins);
        transaction.commit();
        std::cout << "chests " << command.first << ".." << command.first + command.count - 1 << " give "
                  << command.coins << " coins\n";
        return exit_code::claimed;
    } catch (const std::exception &error) {
        std::cerr << "treasure chests: " << error.what() << "\n";
        return exit_code::failure;
    }
}

}  // namespace treasure
