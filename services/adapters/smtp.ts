/**
 * SMTP (optional, SMTP_URL): where e-mail notifications go, through nodemailer. Every connection step
 * is bounded, so a mail server that hangs fails the attempt (the mail relay retries it later) instead of
 * holding the relay. The URL may carry credentials (`smtp://user:pass@host:587`, `smtps://…`); they are
 * never logged.
 */
import nodemailer from "nodemailer";

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

export function createSmtpMailer(url: string, from: string, timeoutMs = 10_000): Mailer {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
