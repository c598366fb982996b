package techmatch.neo4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.io.ByteUnit;

/**
 * Starts the published Neo4j 5 community DBMS with Bolt on 127.0.0.1 and authentication on; nothing else.
 *
 * <pre>serve --port PORT --data DIR (--password PW | --password-file FILE) [--pagecache SIZE] [--watch-pid PID]
 *       [--conf NAME=VALUE]...</pre>
 *
 * Prints one line "ready bolt://127.0.0.1:PORT" once Bolt accepts connections, keeps its data in DIR across
 * restarts, and shuts the DBMS down cleanly on SIGTERM or SIGINT (JVM shutdown hook), or when process PID
 * ends (so a test run that dies does not leave a server behind).
 */
public final class Serve {
    private static final String USAGE =
            "usage: serve --port PORT --data DIR (--password PW | --password-file FILE) [--pagecache SIZE]"
            + " [--heap SIZE] [--watch-pid PID] [--conf NAME=VALUE]...";

    private Serve() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> extraConf = new HashMap<>();
        Map<String, String> args = parse(argv, extraConf);
        int port = Integer.parseInt(args.get("--port"));
        Path data = Path.of(args.get("--data")).toAbsolutePath();
        String password = args.containsKey("--password-file")
                ? Files.readString(Path.of(args.get("--password-file"))).strip() : args.get("--password");
        Files.createDirectories(data);

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(data)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.udc_enabled, false); // no usage reports: our machines are offline
        if (!extraConf.isEmpty()) {
            // the public builder takes settings by name only from a neo4j.conf-style file
            Path conf = Files.createTempFile("techmatch-neo4j", ".conf");
            StringBuilder lines = new StringBuilder();
            extraConf.forEach((name, value) -> lines.append(name).append('=').append(value).append('\n'));
            Files.writeString(conf, lines);
            builder.loadPropertiesFromFile(conf);
            Files.delete(conf);
        }
        if (args.containsKey("--pagecache")) {
            builder.setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(args.get("--pagecache")));
        }
        // The hook comes first, so that a signal during start-up still finds it (a DBMS not yet built is left
        // to Neo4j's recovery at the next start).
        AtomicReference<DatabaseManagementService> started = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            DatabaseManagementService running = started.get();
            if (running != null) {
                running.shutdown();
                System.out.println("stopped");
            }
            stopped.countDown();
        }, "techmatch-neo4j-shutdown"));
        DatabaseManagementService dbms;
        try {
            dbms = builder.build();
            started.set(dbms);
        } catch (RuntimeException e) {
            System.err.println("serve: Neo4j did not start: " + rootMessage(e) + " (details in " + data + "/logs/debug.log)");
            System.exit(1);
            return;
        }

        try {
            setPassword(dbms, password);
            awaitBolt(port);
        } catch (RuntimeException e) {
            System.err.println("serve: " + e.getMessage());
            System.exit(1); // runs the shutdown hook
        }
        System.out.println("ready bolt://127.0.0.1:" + port + " (data " + data + ")");
        System.out.flush();
        if (args.containsKey("--watch-pid")) {
            ProcessHandle.of(Long.parseLong(args.get("--watch-pid")))
                    .ifPresentOrElse(p -> p.onExit().thenRun(() -> System.exit(0)), () -> System.exit(0));
        }
        stopped.await();
    }

    /**
     * The DBMS creates user neo4j with password "neo4j" (change required); set the one we were given on every
     * start, so DIR keeps working when the password changes. Neo4j refuses to "change" it to the same value.
     */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (QueryExecutionException e) {
            if (!e.getMessage().contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }

    /** Options as a map; each "--conf name=value" (repeatable) goes to `conf`, Neo4j's own settings. */
    private static Map<String, String> parse(String[] argv, Map<String, String> conf) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i += 2) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                fail("unexpected argument " + argv[i]);
            }
            if (argv[i].equals("--conf")) {
                String[] pair = argv[i + 1].split("=", 2);
                if (pair.length != 2) {
                    fail("--conf needs name=value, got " + argv[i + 1]);
                }
                conf.put(pair[0], pair[1]);
            } else {
                args.put(argv[i], argv[i + 1]);
            }
        }
        for (String required : new String[] {"--port", "--data"}) {
            if (!args.containsKey(required)) {
                fail("missing " + required);
            }
        }
        if (!args.containsKey("--password") && !args.containsKey("--password-file")) {
            fail("missing --password (or --password-file, which keeps it out of the process list)");
        }
        return args;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    private static void fail(String message) {
        System.err.println("serve: " + message + "\n" + USAGE);
        System.exit(2);
    }

    /** The connector binds during start-up; wait until a client can actually connect. */
    private static void awaitBolt(int port) throws InterruptedException {
        for (int attempt = 0; attempt < 600; attempt++) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("Bolt did not open on 127.0.0.1:" + port);
    }
}
