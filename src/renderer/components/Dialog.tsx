import * as Radix from '@radix-ui/react-dialog';
import { useEffect, useRef, useState, type ReactNode } from 'react';

export interface DialogProps {
  /** Called on Esc, on the close button, and on a click outside when `dismissOnOutside`. */
  onClose(): void;
  /** Shown as the dialog's heading and used as its accessible name. */
  title: ReactNode;
  /** A stable aria-label to find the dialog by while its title changes (the title stays its accessible name). */
  label?: string;
  description?: ReactNode;
  role?: 'dialog' | 'alertdialog';
  className?: string;
  width?: number;
  testId?: string;
  /** A click on the backdrop closes (confirmations); off for forms, so typed input is not lost by a stray click. */
  dismissOnOutside?: boolean;
  /** Selector inside the dialog that gets focus on open (default: Radix's first focusable element). */
  initialFocus?: string;
  /** Title for screen readers only (the palette's input says what it is). */
  hideTitle?: boolean;
  /** Runs after the dialog is gone and focus is back on the opener. */
  afterClose?: () => void;
  children: ReactNode;
}

/**
 * A modal dialog on Radix: focus trapped, Esc closes, the rest of the page inert (aria-hidden, no pointer events),
 * focus returned to what had it before. Mounted by its owner only while open.
 */
export function Dialog(props: DialogProps) {
  const opener = useOpener();
  const box = useRef<HTMLDivElement>(null);
  // A dialog opened over another (a host-key prompt over the add-server dialog) is painted above it.
  const [z] = useState(() => 50 + 2 * ++opened);
  return (
    <Radix.Root open onOpenChange={(open) => !open && props.onClose()}>
      <Radix.Portal>
        <Radix.Overlay className="overlay" style={{ zIndex: z }} />
        <Radix.Content
          ref={box}
          className={`dialog ${props.className ?? ''}`}
          role={props.role ?? 'dialog'}
          aria-label={props.label}
          aria-describedby={undefined}
          data-testid={props.testId}
          style={{ zIndex: z + 1, ...(props.width ? { width: props.width } : {}) }}
          onOpenAutoFocus={(e) => {
            const first = props.initialFocus ? box.current?.querySelector<HTMLElement>(props.initialFocus) : null;
            if (first) {
              e.preventDefault();
              first.focus();
            }
          }}
          onCloseAutoFocus={(e) => {
            e.preventDefault();
            if (opener?.isConnected) opener.focus();
            props.afterClose?.();
          }}
          onPointerDownOutside={(e) => !props.dismissOnOutside && e.preventDefault()}
        >
          <Radix.Title className={props.hideTitle ? 'sr-only' : undefined}>{props.title}</Radix.Title>
          {props.description && <Radix.Description>{props.description}</Radix.Description>}
          {props.children}
        </Radix.Content>
      </Radix.Portal>
    </Radix.Root>
  );
}

export interface DrawerProps {
  onClose(): void;
  title: ReactNode;
  label: string;
  testId?: string;
  children: ReactNode;
}

/**
 * A side panel on Radix Dialog, non-modal: the page behind stays usable (its rows' actions keep working and the
 * page makes room for the panel), Esc closes it, focus moves into it on open and back to the opener on close.
 */
export function Drawer(props: DrawerProps) {
  const opener = useOpener();
  return (
    <Radix.Root open modal={false} onOpenChange={(open) => !open && props.onClose()}>
      <Radix.Portal>
        <Radix.Content
          className="drawer"
          aria-label={props.label}
          aria-describedby={undefined}
          data-testid={props.testId}
          onInteractOutside={(e) => e.preventDefault()}
          onCloseAutoFocus={(e) => {
            e.preventDefault();
            if (opener?.isConnected) opener.focus();
          }}
        >
          <DrawerLayout onClose={props.onClose} title={props.title} />
          {props.children}
        </Radix.Content>
      </Radix.Portal>
    </Radix.Root>
  );
}

function DrawerLayout({ onClose, title }: { onClose(): void; title: ReactNode }) {
  // The page leaves room for the drawer while it is open (styles.css, body.has-drawer).
  useBodyClass('has-drawer');
  return (
    <div className="row">
      <Radix.Title style={{ margin: 0 }}>{title}</Radix.Title>
      <div className="spacer" />
      <button onClick={onClose} aria-label="Close">
        ✕
      </button>
    </div>
  );
}

let opened = 0;

function useOpener(): HTMLElement | null {
  const [opener] = useState(() => (document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null));
  return opener;
}

function useBodyClass(name: string): void {
  useEffect(() => {
    document.body.classList.add(name);
    return () => document.body.classList.remove(name);
  }, [name]);
}
