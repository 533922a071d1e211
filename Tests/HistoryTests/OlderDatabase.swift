import Foundation
import Testing

/// A history database as an older daemon left it, for the migration tests: the columns a later
/// migration added dropped again and that migration's record deleted, through python3's sqlite3
/// (outside GRDB, as another program's write would be), so the store's next open must migrate it.
enum OlderDatabase {
    static func downgrade(_ path: String, table: String, dropping columns: [String], migration: String) throws {
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            for column in sys.argv[4:]:
                db.execute(f"ALTER TABLE {sys.argv[2]} DROP COLUMN {column}")
            db.execute("DELETE FROM grdb_migrations WHERE identifier = ?", (sys.argv[3],))
            db.commit()
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, path, table, migration] + columns
        try python.run()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "python3 could not rewrite the database")
    }
}
