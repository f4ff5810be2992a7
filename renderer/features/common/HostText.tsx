/**
 * A model's name (or a sentence naming one) with the remote host marked: "big-model on
 * 192.168.1.20:8080 [remote]". Everything is a text node; a model id from a server cannot become markup.
 */
import { Fragment } from 'react';
import { splitHosts } from '../../lib/remote';
import { useRemoteHosts } from '../../stores/remote-store';

/** The host a conversation goes to, marked so it is never missed. */
export function RemoteHost({ host }: { host: string }) {
  return (
    <span className="remote-host" data-testid="remote-host" title={`Runs on ${host}: the conversation leaves this machine`}>
      {host}
      <span className="badge badge-remote">remote</span>
    </span>
  );
}

/** `text` with every known remote host after "on " marked. */
export function HostText({ text }: { text: string }) {
  const hosts = useRemoteHosts();
  return (
    <>
      {splitHosts(text, hosts).map((part, index) => (part.host ? <RemoteHost key={index} host={part.text} /> : <Fragment key={index}>{part.text}</Fragment>))}
    </>
  );
}
