/** A throwaway self-signed certificate for 127.0.0.1/localhost, made with the machine's openssl. */

export interface TestCert {
  dir: string;
  certFile: string;
  cert: string;
  key: string;
}

export async function makeSelfSignedCert(): Promise<TestCert> {
  const dir = await Deno.makeTempDir({ prefix: "moodle-load-tls-" });
  const certFile = `${dir}/cert.pem`;
  const keyFile = `${dir}/key.pem`;
  const { code, stderr } = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      // A CA certificate used as the server's own is refused by rustls (CaUsedAsEndEntity).
      "-addext",
      "basicConstraints=critical,CA:FALSE",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
  return { dir, certFile, cert: await Deno.readTextFile(certFile), key: await Deno.readTextFile(keyFile) };
}
