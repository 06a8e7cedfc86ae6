package dev.sluice.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Gateway;
import dev.sluice.config.Config;
import dev.sluice.config.ConfigException;
import dev.sluice.support.GatewayProcess;
import dev.sluice.support.TlsTrust;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates from files: served as given, rotated without a restart when the files change (new
 * connections get the new certificate, open ones keep theirs), a half-written rotation keeps the
 * old pair, bad files stop start-up naming the option, and SIGHUP reads the files again instead
 * of ending the process.
 */
class TlsCertificateTest {

    @TempDir
    Path dir;

    @Test
    void newConnectionsGetTheNewCertificateOnceTheFilesChange() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        LocalCertificate first = LocalCertificate.generate("localhost", BigInteger.valueOf(1001));
        first.write(cert, key);
        LocalCertificate second = LocalCertificate.generate("localhost", BigInteger.valueOf(1002));
        try (Gateway gateway = Gateway.start(config(cert, key))) {
            SSLContext trustsBoth = trusting(first.certificate(), second.certificate());
            assertThat(servedSerial(gateway.port(), trustsBoth)).isEqualTo(1001);
            try (SSLSocket open = connect(gateway.port(), trustsBoth)) {
                // Half a rotation: the new certificate with the old key is not used.
                Files.writeString(cert, second.certificatePem(), StandardCharsets.US_ASCII);
                Thread.sleep(2_500);
                assertThat(servedSerial(gateway.port(), trustsBoth)).isEqualTo(1001);
                Files.writeString(key, second.keyPem(), StandardCharsets.US_ASCII);
                Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                        .until(() -> servedSerial(gateway.port(), trustsBoth) == 1002);
                assertThat(gateway.tls().certificate().getSerialNumber()).isEqualTo(BigInteger.valueOf(1002));
                // The connection opened before keeps the certificate it was handshaken with.
                assertThat(serial(open)).isEqualTo(1001);
            }
            // An explicit reload with unchanged files changes nothing.
            assertThat(gateway.tls().reload()).isFalse();
        }
    }

    @Test
    void badFilesStopStartUpNamingTheOption() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        LocalCertificate one = LocalCertificate.generate("localhost");
        LocalCertificate other = LocalCertificate.generate("localhost");
        Files.writeString(cert, one.certificatePem());
        Files.writeString(key, other.keyPem());
        assertThatThrownBy(() -> Gateway.start(config(cert, key)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--tls-key")
                .hasMessageContaining("does not belong to the certificate");
        Files.writeString(key, "not a key");
        assertThatThrownBy(() -> Gateway.start(config(cert, key)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--tls-key").hasMessageContaining("no private key");
        Files.writeString(key, one.keyPem());
        Files.writeString(cert, one.keyPem());
        assertThatThrownBy(() -> Gateway.start(config(cert, key)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--tls-cert").hasMessageContaining("no certificate");
        assertThatThrownBy(() -> Gateway.start(config(dir.resolve("missing.pem"), key)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--tls-cert").hasMessageContaining("cannot read");
        assertThatThrownBy(() -> Config.builder().tls(cert.toString(), null).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--tls-key");
        assertThatThrownBy(() -> Config.builder().tls(cert.toString(), key.toString()).tlsSelfSigned(true).build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("--tls-self-signed");
    }

    @Test
    void sighupReadsTheFilesAgainAndTheProcessGoesOn() throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        LocalCertificate first = LocalCertificate.generate("localhost", BigInteger.valueOf(3003));
        first.write(cert, key);
        try (GatewayProcess gateway = GatewayProcess.launch(List.of(), "memory", "--tls-cert", cert.toString(),
                "--tls-key", key.toString())) {
            int port = gateway.awaitPort();
            assertThat(gateway.output()).contains("TLS with the ").contains("serial bbb").contains("read again when it changes");
            Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(gateway.pid())).start();
            assertThat(hup.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> gateway.output().contains("are unchanged; still serving serial bbb"));
            assertThat(gateway.isAlive()).isTrue();
            assertThat(servedSerial(port, TlsTrust.sslContext(first.certificate()))).isEqualTo(3003);
        }
    }

    /**
     * The runnable jar merges every dependency: two Bouncy Castle lines (jdk18on and lts8on share
     * package names) in it break each other (a NoSuchFieldError when the self-signed certificate
     * is made), though each works on a test classpath. So there is one line, at one version.
     */
    @Test
    void oneBouncyCastleLineIsOnTheClasspath() {
        List<String> lines = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(entry -> Path.of(entry).getFileName().toString())
                .filter(name -> name.matches("bc(prov|pkix|util)-.*\\.jar"))
                .map(name -> name.replaceFirst("^bc(prov|pkix|util)-", "").replaceFirst("\\.jar$", ""))
                .distinct().toList();
        assertThat(lines).as("Bouncy Castle artifacts (line-version)").hasSize(1);
    }

    private static Config config(Path cert, Path key) {
        return Config.builder().listen(new InetSocketAddress("127.0.0.1", 0)).anonymous(true).workers(1)
                .shutdownGrace(Duration.ofMillis(200)).tls(cert.toString(), key.toString()).build();
    }

    private static SSLContext trusting(X509Certificate... certificates) throws Exception {
        java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < certificates.length; i++) {
            store.setCertificateEntry("c" + i, certificates[i]);
        }
        var factory = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static SSLSocket connect(int port, SSLContext context) throws Exception {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    private static long serial(SSLSocket socket) throws Exception {
        return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber().longValueExact();
    }

    /** The serial of the certificate a new connection is served. */
    private static long servedSerial(int port, SSLContext context) throws Exception {
        try (SSLSocket socket = connect(port, context)) {
            return serial(socket);
        }
    }
}
