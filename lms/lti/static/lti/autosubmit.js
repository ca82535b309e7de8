// Posts the deep-linking answer back to the platform (the button stays for browsers without JS).
document.querySelectorAll("form[data-lti-autosubmit]").forEach((form) => form.submit());
